package codegen

import (
	"bytes"
	"fmt"
	"go/format"
	"strings"
)

// formatGo gofmts generated Go. A failure means a template or helper bug,
// so the error carries the numbered source to find the broken line.
func formatGo(src []byte) ([]byte, error) {
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("eventwire: codegen: generated Go does not parse: %w\n%s", err, numbered(src))
	}
	return out, nil
}

// numbered prefixes each line of src with its 1-based number.
func numbered(src []byte) string {
	lines := bytes.Split(src, []byte("\n"))
	width := len(fmt.Sprint(len(lines)))
	var b strings.Builder
	for i, line := range lines {
		fmt.Fprintf(&b, "%*d  %s\n", width, i+1, line)
	}
	return b.String()
}
