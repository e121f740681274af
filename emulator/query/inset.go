package query

// minHashedIn is the IN list length from which hashing beats a linear scan.
const minHashedIn = 8

// inSet answers "x IN (constant list)" with the semantics of '=': same type and equal
// value. Arrays and objects are rare in IN lists and are compared linearly.
type inSet struct {
	strings  map[string]struct{}
	numbers  map[float64]struct{}
	bools    [2]bool
	null     bool
	compound []any
}

func newInSet(values []any) *inSet {
	s := &inSet{strings: map[string]struct{}{}, numbers: map[float64]struct{}{}}
	for _, v := range values {
		switch x := v.(type) {
		case string:
			s.strings[x] = struct{}{}
		case float64:
			s.numbers[x] = struct{}{}
		case bool:
			s.bools[boolInt(x)] = true
		case nil:
			s.null = true
		default:
			s.compound = append(s.compound, x)
		}
	}
	return s
}

func (s *inSet) contains(x any) bool {
	switch v := x.(type) {
	case string:
		_, ok := s.strings[v]
		return ok
	case float64:
		_, ok := s.numbers[v]
		return ok
	case bool:
		return s.bools[boolInt(v)]
	case nil:
		return s.null
	}
	for _, c := range s.compound {
		if deepEqual(x, c) {
			return true
		}
	}
	return false
}
