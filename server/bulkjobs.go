package server

import (
	"context"
	"errors"
	"time"
)

// bulkJobPoll is how often a replica looks for a waiting bulk job.
const bulkJobPoll = 2 * time.Second

// runBulkJobs runs the stored bulk jobs (store.WorkBulkJobs) until ctx ends;
// a job running then is given back for another replica to continue.
func (s *Server) runBulkJobs(ctx context.Context) {
	t := time.NewTicker(bulkJobPoll)
	defer t.Stop()
	for {
		n, err := s.store.WorkBulkJobs(ctx, nil)
		if n > 0 {
			s.log.Info("bulk_jobs.done", "jobs", n)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			s.log.Warn("bulk_jobs.failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
