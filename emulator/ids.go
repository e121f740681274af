package emulator

import (
	"strings"
	"unicode/utf8"
)

// Limits on resource ids, as the service enforces them.
const (
	maxItemIDBytes     = 1023
	maxResourceIDChars = 255
)

// validateID checks an id: present, within the limit, and free of the characters the
// service forbids ('/', '\', '?', '#').
func validateID(what, id string, itemID bool) error {
	if id == "" {
		return badRequest("%s id is missing or empty", what)
	}
	if itemID && len(id) > maxItemIDBytes {
		return badRequest("%s id is %d bytes, over the %d byte limit", what, len(id), maxItemIDBytes)
	}
	if !itemID && utf8.RuneCountInString(id) > maxResourceIDChars {
		return badRequest("%s id is over the %d character limit", what, maxResourceIDChars)
	}
	if i := strings.IndexAny(id, `/\?#`); i >= 0 {
		return badRequest("%s id %q contains the forbidden character %q (ids may not contain "+
			"'/', '\\', '?' or '#')", what, id, id[i])
	}
	if strings.HasSuffix(id, " ") {
		return badRequest("%s id %q ends with a space", what, id)
	}
	return nil
}
