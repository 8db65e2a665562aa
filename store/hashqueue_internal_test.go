package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// With every hashing slot taken and HashQueue checks waiting, a further
// password check fails at once with ErrBusy; setting a password still waits.
func TestHashQueueBound(t *testing.T) {
	s := New(nil, Options{Password: PasswordParams{MemoryKiB: 64, Passes: 1, Threads: 1}, HashConcurrency: 1, HashQueue: 1})
	s.hashSem <- struct{}{} // the one slot, taken
	ctx := context.Background()

	waited := make(chan error, 1)
	go func() {
		_, err := s.VerifyPassword(ctx, "", "some password")
		waited <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); s.hashWait.Load() != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the first check never queued")
		}
		time.Sleep(time.Millisecond)
	}

	start := time.Now()
	if _, err := s.VerifyPassword(ctx, "", "some password"); !errors.Is(err, ErrBusy) {
		t.Fatalf("check beyond the queue = %v, want ErrBusy", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("ErrBusy took %v, want at once", el)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.HashPassword(short, "some password"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("HashPassword with the queue full = %v, want it to wait (DeadlineExceeded)", err)
	}

	<-s.hashSem // free the slot: the queued check runs
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("queued check = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("queued check never ran")
	}
	if n := s.hashWait.Load(); n != 0 {
		t.Errorf("hashWait = %d after the queue drained, want 0", n)
	}
	if _, err := s.VerifyPassword(ctx, "", "some password"); err != nil {
		t.Errorf("check with a free slot = %v", err)
	}
}

func TestHashConcurrencyDefault(t *testing.T) {
	s := New(nil, Options{})
	if c := cap(s.hashSem); c < 1 {
		t.Fatalf("HashConcurrency default = %d, want at least 1", c)
	}
	if s.opt.HashQueue != 8*cap(s.hashSem) {
		t.Errorf("HashQueue default = %d, want %d", s.opt.HashQueue, 8*cap(s.hashSem))
	}
}

// While others wait, a released slot rests (1/HashDuty - 1) times the hash's
// duration before the next hash starts; the releasing caller does not wait.
func TestHashDutyRest(t *testing.T) {
	s := New(nil, Options{Password: PasswordParams{MemoryKiB: 64, Passes: 1, Threads: 1}, HashConcurrency: 1, HashDuty: 0.5})
	ctx := context.Background()
	release, err := s.acquireHash(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan time.Time, 1)
	go func() {
		r, err := s.acquireHash(ctx, true)
		if err != nil {
			t.Error(err)
		}
		got <- time.Now()
		r()
	}()
	for s.hashWait.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // "hashing"
	released := time.Now()
	release()
	if el := time.Since(released); el > 20*time.Millisecond {
		t.Errorf("release took %v, want at once", el)
	}
	if wait := (<-got).Sub(released); wait < 45*time.Millisecond {
		t.Errorf("next hash started %v after the release, want about 50ms of rest", wait)
	}
}
