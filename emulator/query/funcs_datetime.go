package query

import (
	"math"
	"strings"
	"time"
)

// dateTimeLayout is the ISO 8601 form Cosmos DB reads and writes: UTC with seven
// fractional digits.
const dateTimeLayout = "2006-01-02T15:04:05.0000000Z"

// unixEpochTicks is 1970-01-01 in .NET ticks (100 ns since 0001-01-01).
const unixEpochTicks = 621355968000000000

// dateParts maps every accepted part name and abbreviation to its canonical name.
var dateParts = map[string]string{
	"year": "year", "yyyy": "year", "yy": "year",
	"month": "month", "mm": "month", "m": "month",
	"day": "day", "dd": "day", "d": "day",
	"hour": "hour", "hh": "hour",
	"minute": "minute", "mi": "minute", "n": "minute",
	"second": "second", "ss": "second", "s": "second",
	"millisecond": "millisecond", "ms": "millisecond",
	"microsecond": "microsecond", "mcs": "microsecond",
	"nanosecond": "nanosecond", "ns": "nanosecond",
}

// partUnits is the length of the fixed-size parts.
var partUnits = map[string]time.Duration{
	"day": 24 * time.Hour, "hour": time.Hour, "minute": time.Minute, "second": time.Second,
	"millisecond": time.Millisecond, "microsecond": time.Microsecond, "nanosecond": 1,
}

func init() {
	pure("DATETIMEADD", 3, 3, fnDateTimeAdd)
	pure("DATETIMEDIFF", 3, 3, fnDateTimeDiff)
	pure("DATETIMEPART", 2, 2, fnDateTimePart)
	pure("DATETIMEFROMPARTS", 3, 7, fnDateTimeFromParts)
	pure("DATETIMEBIN", 2, 4, fnDateTimeBin)
	pure("DATETIMETOTICKS", 1, 1, withDateTime(func(t time.Time) any { return float64(ticks(t)) }))
	pure("DATETIMETOTIMESTAMP", 1, 1, withDateTime(func(t time.Time) any {
		return float64(t.UnixMilli())
	}))
	pure("TICKSTODATETIME", 1, 1, func(a []any) any {
		f, ok := a[0].(float64)
		if !ok || f != math.Trunc(f) || math.Abs(f) >= 1<<62 {
			return undefined
		}
		return ticksToDateTime(int64(f))
	})
	pure("TIMESTAMPTODATETIME", 1, 1, func(a []any) any {
		ms, ok := toInt64(a[0])
		if !ok {
			return undefined
		}
		return formatDateTime(time.UnixMilli(ms))
	})
}

// ticks converts t to 100 ns units since 0001-01-01 without overflowing UnixNano.
func ticks(t time.Time) int64 {
	return unixEpochTicks + t.Unix()*1e7 + int64(t.Nanosecond()/100)
}

func ticksToDateTime(t int64) any {
	since := t - unixEpochTicks
	sec := floorDiv(since, 1e7)
	return formatDateTime(time.Unix(sec, (since-sec*1e7)*100))
}

// parseDateTime reads YYYY-MM-DDThh:mm:ss[.fffffff]Z; anything else is not a date-time.
func parseDateTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || !strings.HasSuffix(s, "Z") || len(s) < len("2006-01-02T15:04:05Z") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func formatDateTime(t time.Time) any {
	if t.Year() < 1 || t.Year() > 9999 {
		return undefined
	}
	return t.UTC().Format(dateTimeLayout)
}

func withDateTime(f func(time.Time) any) func([]any) any {
	return func(a []any) any {
		t, ok := parseDateTime(a[0])
		if !ok {
			return undefined
		}
		return f(t)
	}
}

func datePart(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	part, ok := dateParts[strings.ToLower(s)]
	return part, ok
}

// fnDateTimeAdd adds a whole number of parts; adding months clamps to the month's last
// day (January 31 plus one month is February 28 or 29).
func fnDateTimeAdd(a []any) any {
	part, ok1 := datePart(a[0])
	n, ok2 := toInt64(a[1])
	t, ok3 := parseDateTime(a[2])
	if !ok1 || !ok2 || !ok3 {
		return undefined
	}
	switch part {
	case "year":
		return formatDateTime(addMonths(t, n*12))
	case "month":
		return formatDateTime(addMonths(t, n))
	}
	unit := partUnits[part]
	if n > math.MaxInt64/int64(unit) || n < math.MinInt64/int64(unit) {
		return undefined
	}
	return formatDateTime(t.Add(time.Duration(n) * unit))
}

func addMonths(t time.Time, n int64) time.Time {
	if n > 12*10000 || n < -12*10000 {
		return time.Time{}
	}
	months := int64(t.Year())*12 + int64(t.Month()) - 1 + n
	year, month := int(months/12), time.Month(months%12+1)
	last := time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
	day := min(t.Day(), last)
	return time.Date(year, month, day, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// fnDateTimeDiff counts the part boundaries crossed from start to end.
func fnDateTimeDiff(a []any) any {
	part, ok1 := datePart(a[0])
	start, ok2 := parseDateTime(a[1])
	end, ok3 := parseDateTime(a[2])
	if !ok1 || !ok2 || !ok3 {
		return undefined
	}
	switch part {
	case "year":
		return float64(end.Year() - start.Year())
	case "month":
		return float64((end.Year()-start.Year())*12 + int(end.Month()) - int(start.Month()))
	}
	unit := int64(partUnits[part])
	if unit < 100 {
		return float64(end.Sub(start).Nanoseconds())
	}
	return float64(floorDiv(ticks(end), unit/100) - floorDiv(ticks(start), unit/100))
}

func floorDiv(x, y int64) int64 {
	q := x / y
	if (x%y != 0) && ((x < 0) != (y < 0)) {
		q--
	}
	return q
}

func fnDateTimePart(a []any) any {
	part, ok1 := datePart(a[0])
	t, ok2 := parseDateTime(a[1])
	if !ok1 || !ok2 {
		return undefined
	}
	values := map[string]int{
		"year": t.Year(), "month": int(t.Month()), "day": t.Day(), "hour": t.Hour(),
		"minute": t.Minute(), "second": t.Second(), "millisecond": t.Nanosecond() / 1e6,
		"microsecond": t.Nanosecond() / 1e3, "nanosecond": t.Nanosecond(),
	}
	return float64(values[part])
}

// fnDateTimeFromParts builds a date-time from year, month, day and optional hour, minute,
// second and fraction (in 100 ns units, seven digits). Out-of-range parts are undefined.
func fnDateTimeFromParts(a []any) any {
	parts := [7]int64{}
	limits := [7][2]int64{{1, 9999}, {1, 12}, {1, 31}, {0, 23}, {0, 59}, {0, 59}, {0, 9999999}}
	for i, v := range a {
		n, ok := toInt64(v)
		if !ok || n < limits[i][0] || n > limits[i][1] {
			return undefined
		}
		parts[i] = n
	}
	t := time.Date(int(parts[0]), time.Month(parts[1]), int(parts[2]), int(parts[3]),
		int(parts[4]), int(parts[5]), int(parts[6])*100, time.UTC)
	if t.Day() != int(parts[2]) {
		return undefined
	}
	return formatDateTime(t)
}

// fnDateTimeBin rounds a date-time down to a multiple of binSize parts (day or finer)
// counted from origin, the Unix epoch by default. Bins finer than the 100 ns of the
// output format leave the value unchanged.
func fnDateTimeBin(a []any) any {
	t, ok1 := parseDateTime(a[0])
	part, ok2 := datePart(a[1])
	unit, fixed := partUnits[part]
	size, origin := int64(1), time.Unix(0, 0).UTC()
	ok3, ok4 := true, true
	if len(a) > 2 {
		size, ok3 = toInt64(a[2])
	}
	if len(a) > 3 {
		origin, ok4 = parseDateTime(a[3])
	}
	if !ok1 || !ok2 || !fixed || !ok3 || !ok4 || size <= 0 || origin.Year() < 1601 ||
		size > math.MaxInt64/int64(unit) {
		return undefined
	}
	binTicks := int64(unit) * size / 100
	if binTicks == 0 {
		return formatDateTime(t)
	}
	since := ticks(t) - ticks(origin)
	binned := ticks(origin) + floorDiv(since, binTicks)*binTicks
	return ticksToDateTime(binned)
}
