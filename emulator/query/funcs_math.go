package query

import "math"

func init() {
	unaryMath := map[string]func(float64) float64{
		"ABS": math.Abs, "ACOS": math.Acos, "ASIN": math.Asin, "ATAN": math.Atan,
		"CEILING": math.Ceil, "COS": math.Cos, "EXP": math.Exp, "FLOOR": math.Floor,
		"LOG10": math.Log10, "SIN": math.Sin, "SQRT": math.Sqrt, "TAN": math.Tan,
		"TRUNC": math.Trunc, "ROUND": math.Round,
		"COT":     func(x float64) float64 { return 1 / math.Tan(x) },
		"DEGREES": func(x float64) float64 { return x * 180 / math.Pi },
		"RADIANS": func(x float64) float64 { return x * math.Pi / 180 },
		"SQUARE":  func(x float64) float64 { return x * x },
		"SIGN":    sign,
	}
	for name, f := range unaryMath {
		pure(name, 1, 1, func(a []any) any {
			x, ok := a[0].(float64)
			if !ok {
				return undefined
			}
			return finite(f(x))
		})
	}
	pure("PI", 0, 0, func([]any) any { return math.Pi })
	pure("POWER", 2, 2, binaryMath(math.Pow))
	pure("ATN2", 2, 2, binaryMath(func(x, y float64) float64 { return math.Atan2(y, x) }))
	pure("LOG", 1, 2, fnLog)
	pure("NUMBERBIN", 1, 2, fnNumberBin)
	registerIntFunctions()
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func binaryMath(f func(x, y float64) float64) func([]any) any {
	return func(a []any) any {
		x, ok1 := a[0].(float64)
		y, ok2 := a[1].(float64)
		if !ok1 || !ok2 {
			return undefined
		}
		return finite(f(x, y))
	}
}

// fnLog is the natural logarithm, or the logarithm in the given base.
func fnLog(a []any) any {
	x, ok := a[0].(float64)
	if !ok {
		return undefined
	}
	if len(a) == 1 {
		return finite(math.Log(x))
	}
	base, ok := a[1].(float64)
	if !ok {
		return undefined
	}
	return finite(math.Log(x) / math.Log(base))
}

// fnNumberBin rounds down to a multiple of the bin size (default 1).
func fnNumberBin(a []any) any {
	x, ok := a[0].(float64)
	if !ok {
		return undefined
	}
	size := 1.0
	if len(a) > 1 {
		if size, ok = a[1].(float64); !ok || size == 0 {
			return undefined
		}
	}
	return finite(math.Floor(x/size) * size)
}

// registerIntFunctions adds the 64-bit integer functions (IntAdd, IntBitAnd, ...). Their
// arguments must be integers; anything else yields undefined.
func registerIntFunctions() {
	binaryInt := map[string]func(x, y int64) (int64, bool){
		"INTADD":    func(x, y int64) (int64, bool) { return x + y, true },
		"INTSUB":    func(x, y int64) (int64, bool) { return x - y, true },
		"INTMUL":    func(x, y int64) (int64, bool) { return x * y, true },
		"INTDIV":    func(x, y int64) (int64, bool) { return safeDiv(x, y, false) },
		"INTMOD":    func(x, y int64) (int64, bool) { return safeDiv(x, y, true) },
		"INTBITAND": func(x, y int64) (int64, bool) { return x & y, true },
		"INTBITOR":  func(x, y int64) (int64, bool) { return x | y, true },
		"INTBITXOR": func(x, y int64) (int64, bool) { return x ^ y, true },
		"INTBITLEFTSHIFT": func(x, y int64) (int64, bool) {
			return x << (uint64(y) & 63), y >= 0
		},
		"INTBITRIGHTSHIFT": func(x, y int64) (int64, bool) {
			return x >> (uint64(y) & 63), y >= 0
		},
	}
	for name, f := range binaryInt {
		pure(name, 2, 2, func(a []any) any {
			x, ok1 := toInt64(a[0])
			y, ok2 := toInt64(a[1])
			if !ok1 || !ok2 {
				return undefined
			}
			r, ok := f(x, y)
			if !ok {
				return undefined
			}
			return float64(r)
		})
	}
	pure("INTBITNOT", 1, 1, func(a []any) any {
		x, ok := toInt64(a[0])
		if !ok {
			return undefined
		}
		return float64(^x)
	})
}

func safeDiv(x, y int64, mod bool) (int64, bool) {
	if y == 0 || (x == math.MinInt64 && y == -1) {
		return 0, false
	}
	if mod {
		return x % y, true
	}
	return x / y, true
}
