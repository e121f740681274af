package query

import "fmt"

// Error is a syntax, binding or evaluation error. Pos is the byte offset in the query text
// where the offending construct starts, or -1 when no position applies.
type Error struct {
	Pos int
	Msg string
}

// Error returns the message, followed by the byte offset when the error has one.
func (e *Error) Error() string {
	if e.Pos < 0 {
		return e.Msg
	}
	return fmt.Sprintf("%s (at offset %d)", e.Msg, e.Pos)
}
