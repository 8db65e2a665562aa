package ssotest

import (
	"bytes"
	"net"
	"os/exec"
	"sync"
)

// Process is a test peer program (php, node) whose output is kept for the
// failure message. Set Cmd, point its Stdout/Stderr at the Process, Start it.
type Process struct {
	Cmd *exec.Cmd
	mu  sync.Mutex
	log bytes.Buffer
}

// Write keeps the program's output; it is safe for concurrent use.
func (p *Process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Write(b)
}

// Log is what the program wrote so far.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// Close kills the program and waits for it.
func (p *Process) Close() {
	if p.Cmd != nil && p.Cmd.Process != nil {
		_ = p.Cmd.Process.Kill()
		_ = p.Cmd.Wait()
	}
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
