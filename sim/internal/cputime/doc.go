// Package cputime measures the CPU time of the process, so that benchmarks can report
// rates per CPU-second that stay meaningful on a machine shared with other work (wall-clock
// rates there measure the neighbours as much as the code).
package cputime
