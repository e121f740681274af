package emulator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/stampede-load/stampede/emulator/query"
)

// maxPatchOperations is the service's limit on operations per patch request.
const maxPatchOperations = 10

// patchSpec is a patch request body: {"condition"?, "operations":[…]}.
type patchSpec struct {
	Condition  string    `json:"condition"`
	Operations []patchOp `json:"operations"`
}

// patchOp is one patch operation. Value is absent for remove (and for a Go nil value,
// which the SDK omits; it means JSON null).
type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	From  string          `json:"from"`
	Value json.RawMessage `json:"value"`
	segs  []string
	value any
}

var patchOps = map[string]bool{
	"add": true, "set": true, "replace": true, "remove": true, "incr": true, "move": true,
}

// parsePatch validates a patch body.
func parsePatch(raw []byte) (*patchSpec, error) {
	var spec patchSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, badRequest("the patch body is not valid JSON: %v", err)
	}
	if n := len(spec.Operations); n == 0 || n > maxPatchOperations {
		return nil, badRequest("a patch takes 1 to %d operations, got %d", maxPatchOperations, n)
	}
	for i := range spec.Operations {
		if err := spec.Operations[i].validate(); err != nil {
			return nil, badRequest("patch operation %d: %v", i, err)
		}
	}
	if c := strings.TrimSpace(spec.Condition); c != "" &&
		!strings.HasPrefix(strings.ToLower(c), "from ") {
		return nil, badRequest("patch condition %q: want a predicate such as "+
			"\"from c where c.status = 'open'\"", spec.Condition)
	}
	return &spec, nil
}

func (op *patchOp) validate() error {
	if !patchOps[op.Op] {
		return fmt.Errorf("op %q: want add, set, replace, remove, incr or move", op.Op)
	}
	segs, err := patchPath(op.Path)
	if err != nil {
		return err
	}
	op.segs = segs
	if op.Op == "move" {
		if _, err := patchPath(op.From); err != nil {
			return fmt.Errorf("from: %w", err)
		}
	}
	if len(op.Value) > 0 {
		v, err := decodeOrderedJSON(op.Value)
		if err != nil {
			return fmt.Errorf("value: %w", err)
		}
		op.value = v
	}
	if op.Op == "incr" {
		if _, ok := op.value.(json.Number); !ok {
			return fmt.Errorf("incr at %s: value must be a number, got %s", op.Path, op.Value)
		}
	}
	return nil
}

// patchPath splits a JSON pointer such as /a/b/0 (~1 is '/', ~0 is '~').
func patchPath(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") || len(p) < 2 {
		return nil, fmt.Errorf("path %q: want a path starting with '/'", p)
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return segs, nil
}

// patched applies op.patch to the current version and returns the new document. Patching
// id or a partition key path is refused, as the service does.
func (p *partition) patched(cur *item, op *itemOp, meta *containerMeta) (*document, error) {
	spec := op.patch
	for i, o := range spec.Operations {
		if err := p.c.checkPatchable(o.Path, o.Op); err != nil {
			return nil, badRequest("patch operation %d: %v", i, err)
		}
	}
	doc, err := decodeWithNumbers(cur.body)
	if err != nil {
		return nil, err
	}
	if spec.Condition != "" {
		if err := checkCondition(spec.Condition, cur.body); err != nil {
			return nil, err
		}
	}
	for i, o := range spec.Operations {
		if err := applyPatchOp(doc, o); err != nil {
			return nil, badRequest("patch operation %d (%s %s): %v", i, o.Op, o.Path, err)
		}
	}
	for k := range systemProperties {
		doc.del(k)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, badRequest("patched document: %v", err)
	}
	return parseDocument(raw, &p.c.pk)
}

func (c *container) checkPatchable(path, op string) error {
	if path == "/id" {
		return fmt.Errorf("%s on /id: the id cannot be patched", op)
	}
	for _, pk := range c.pk.Paths {
		if path == pk || strings.HasPrefix(pk, path+"/") {
			return fmt.Errorf("%s on %s: the partition key cannot be patched", op, path)
		}
	}
	if systemProperties[strings.TrimPrefix(path, "/")] {
		return fmt.Errorf("%s on %s: system properties cannot be patched", op, path)
	}
	return nil
}

func decodeWithNumbers(body []byte) (*object, error) {
	v, err := decodeOrderedJSON(body)
	if err != nil {
		return nil, fmt.Errorf("decode stored document: %w", err)
	}
	doc, ok := v.(*object)
	if !ok {
		return nil, fmt.Errorf("decode stored document: not an object")
	}
	return doc, nil
}

// checkCondition evaluates a patch condition ("from c where …") on the stored document;
// false answers 412.
func checkCondition(cond string, body []byte) error {
	q, err := query.Parse("SELECT VALUE 1 " + cond)
	if err != nil {
		return badRequest("patch condition %q: %v", cond, err)
	}
	b, err := q.Bind(nil)
	if err != nil {
		return badRequest("patch condition %q: %v", cond, err)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("decode stored document: %w", err)
	}
	rows, err := b.Apply(doc)
	if err != nil {
		return badRequest("patch condition %q: %v", cond, err)
	}
	if len(rows) == 0 {
		return preconditionFailed("the patch condition %q is false for this document", cond)
	}
	return nil
}

// applyPatchOp applies one operation to doc in place.
func applyPatchOp(doc *object, o patchOp) error {
	if o.Op == "move" {
		from, _ := patchPath(o.From)
		v, err := removeAt(doc, from)
		if err != nil {
			return fmt.Errorf("from %s: %w", o.From, err)
		}
		return setAt(doc, o.segs, "add", v)
	}
	if o.Op == "remove" {
		_, err := removeAt(doc, o.segs)
		return err
	}
	return setAt(doc, o.segs, o.Op, o.value)
}

// parentOf walks to the container (object or array) holding the last segment.
func parentOf(doc *object, segs []string) (any, error) {
	var cur any = doc
	for _, s := range segs[:len(segs)-1] {
		switch c := cur.(type) {
		case *object:
			next, ok := c.get(s)
			if !ok {
				return nil, fmt.Errorf("the path segment %q does not exist", s)
			}
			cur = next
		case []any:
			i, err := arrayIndex(s, len(c), false)
			if err != nil {
				return nil, err
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("the path segment %q is inside a scalar", s)
		}
	}
	return cur, nil
}

func arrayIndex(s string, n int, insert bool) (int, error) {
	if insert && s == "-" {
		return n, nil
	}
	i, err := strconv.Atoi(s)
	limit := n
	if insert {
		limit = n + 1
	}
	if err != nil || i < 0 || i >= limit {
		return 0, fmt.Errorf("array index %q is out of range (length %d)", s, n)
	}
	return i, nil
}

func setAt(doc *object, segs []string, op string, v any) error {
	parent, err := parentOf(doc, segs)
	if err != nil {
		return err
	}
	last := segs[len(segs)-1]
	switch c := parent.(type) {
	case *object:
		old, exists := c.get(last)
		if op == "replace" && !exists {
			return fmt.Errorf("the property %q does not exist", last)
		}
		if op == "incr" {
			if v, err = increment(old, exists, v); err != nil {
				return err
			}
		}
		c.set(last, v)
		return nil
	case []any:
		return setInArray(doc, segs, c, last, op, v)
	}
	return fmt.Errorf("the parent of %q is not an object or array", last)
}

func setInArray(doc *object, segs []string, arr []any, last, op string, v any) error {
	i, err := arrayIndex(last, len(arr), op == "add")
	if err != nil {
		return err
	}
	switch op {
	case "add":
		arr = append(arr[:i], append([]any{v}, arr[i:]...)...)
		return replaceContainer(doc, segs[:len(segs)-1], arr)
	case "incr":
		if arr[i], err = increment(arr[i], true, v); err != nil {
			return err
		}
	default:
		arr[i] = v
	}
	return nil
}

// replaceContainer stores a grown array back at its path.
func replaceContainer(doc *object, segs []string, arr []any) error {
	if len(segs) == 0 {
		return fmt.Errorf("the document root is not an array")
	}
	return setAt(doc, segs, "set", arr)
}

func removeAt(doc *object, segs []string) (any, error) {
	parent, err := parentOf(doc, segs)
	if err != nil {
		return nil, err
	}
	last := segs[len(segs)-1]
	switch c := parent.(type) {
	case *object:
		v, ok := c.get(last)
		if !ok {
			return nil, fmt.Errorf("the property %q does not exist", last)
		}
		c.del(last)
		return v, nil
	case []any:
		i, err := arrayIndex(last, len(c), false)
		if err != nil {
			return nil, err
		}
		v := c[i]
		return v, replaceContainer(doc, segs[:len(segs)-1], append(c[:i:i], c[i+1:]...))
	}
	return nil, fmt.Errorf("the parent of %q is not an object or array", last)
}

// increment adds by to old, keeping integers exact.
func increment(old any, exists bool, by any) (any, error) {
	b := by.(json.Number)
	if !exists {
		return b, nil
	}
	o, ok := old.(json.Number)
	if !ok {
		return nil, fmt.Errorf("incr needs a number at the path, found %T", old)
	}
	oi, err1 := o.Int64()
	bi, err2 := b.Int64()
	if err1 == nil && err2 == nil {
		return json.Number(strconv.FormatInt(oi+bi, 10)), nil
	}
	of, _ := o.Float64()
	bf, _ := b.Float64()
	return json.Number(strconv.FormatFloat(of+bf, 'g', -1, 64)), nil
}
