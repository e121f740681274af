package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// MaxFileSize bounds a scenario file; real scenarios are a few kilobytes.
const MaxFileSize = 1 << 20

// Load reads, decodes, defaults and validates the scenario file at filePath. Every problem
// is returned at once, each a *FieldError naming the file, line and field.
func Load(filePath string) (*Scenario, error) {
	info, err := os.Stat(filePath)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("load scenario %q: %d bytes is over the %d byte limit", filePath,
			info.Size(), MaxFileSize)
	}
	data, err := os.ReadFile(filePath)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	return Parse(filePath, data)
}

// Builtin returns the built-in scenario name (see BuiltinNames), defaulted and validated.
func Builtin(name string) (*Scenario, error) {
	data, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse(name+".yaml", data)
}

// BuiltinSource returns the YAML text of the built-in scenario name.
func BuiltinSource(name string) ([]byte, error) {
	names := BuiltinNames()
	if !slices.Contains(names, name) {
		return nil, fmt.Errorf("no built-in scenario %q%s", name, allowedHint(name, names))
	}
	return builtinFS.ReadFile("builtin/" + name + ".yaml")
}

// BuiltinNames lists the built-in scenarios, sorted.
func BuiltinNames() []string {
	entries, _ := fs.ReadDir(builtinFS, "builtin") // embedded at build time; cannot fail
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), path.Ext(e.Name())))
	}
	return names
}

// Parse decodes, defaults and validates a scenario from data; file names the source in
// errors. The returned scenario has every default applied.
func Parse(file string, data []byte) (*Scenario, error) {
	if len(data) > MaxFileSize {
		return nil, &FieldError{File: file, Msg: fmt.Sprintf("%d bytes is over the %d byte limit",
			len(data), MaxFileSize)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &FieldError{File: file, Msg: "empty file; a scenario needs at least name, " +
			"duration and tenants"}
	}

	var s Scenario
	dec := newDecoder(file)
	dec.decode(doc.Content[0], reflectValue(&s), "")
	s = s.WithDefaults()
	errs := dec.errs
	if err := s.Validate(); err != nil {
		errs = append(errs, dec.locate(err, errs)...)
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, byLine)
		return nil, errors.Join(errs...)
	}
	return &s, nil
}

// locate gives each validation problem in err the file position of its field (or of its
// nearest parent in the file), leaving out problems at a path that failed to decode.
func (d *decoder) locate(err error, decodeErrs []error) []error {
	failed := map[string]bool{}
	for _, e := range decodeErrs {
		var fe *FieldError
		if errors.As(e, &fe) {
			failed[fe.Path] = true
		}
	}
	var out []error
	for _, e := range unjoin(err) {
		var fe *FieldError
		if !errors.As(e, &fe) {
			out = append(out, e)
			continue
		}
		if failed[fe.Path] {
			continue
		}
		located := *fe
		located.File = d.file
		for p := fe.Path; ; p = parentPath(p) {
			if pos, ok := d.positions[p]; ok {
				located.Line, located.Column = pos.line, pos.column
				break
			}
			if p == "" {
				break
			}
		}
		out = append(out, &located)
	}
	return out
}

// byLine orders errors by their line in the file; errors without a line come first.
func byLine(a, b error) int {
	var fa, fb *FieldError
	la, lb := 0, 0
	if errors.As(a, &fa) {
		la = fa.Line
	}
	if errors.As(b, &fb) {
		lb = fb.Line
	}
	return la - lb
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// parentPath returns the path one level up: a.b[2].c -> a.b[2] -> a.b -> a -> "".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a YAML syntax error into a FieldError with its line.
func syntaxError(file string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FieldError{File: file, Line: line, Msg: "YAML syntax: " + m[2]}
	}
	return &FieldError{File: file, Msg: "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")}
}

// Marshal writes s as YAML, as an effective scenario for a run folder.
func Marshal(s *Scenario) ([]byte, error) {
	out, err := yaml.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("marshal scenario %q: %w", s.Name, err)
	}
	return out, nil
}
