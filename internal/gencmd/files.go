package gencmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// write writes the files (path -> content), creating directories when
// needed. A file whose bytes are already there is left alone, keeping its
// mtime and so the build cache. Each write goes to a temporary file renamed
// over the old one, so a failed run never leaves half a file. Nothing is
// ever removed.
func write(files map[string][]byte) error {
	var changed []string
	for _, path := range sortedNames(files) {
		same, err := sameContent(path, files[path])
		if err != nil {
			return err
		}
		if !same {
			changed = append(changed, path)
		}
	}
	for _, path := range changed {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("eventwire gen: %w", err)
		}
		if err := writeAtomic(path, files[path]); err != nil {
			return fmt.Errorf("eventwire gen: %w", err)
		}
	}
	return nil
}

// check reports each generated file (path -> content) that is missing or
// differs from what the spec gives, and writes nothing.
func check(files map[string][]byte, stdout, stderr io.Writer) int {
	var stale []string
	for _, path := range sortedNames(files) {
		old, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintln(stderr, "missing:", path)
		case err != nil:
			fmt.Fprintln(stderr, "eventwire gen:", err)
		case bytes.Equal(old, files[path]):
			continue
		default:
			fmt.Fprintln(stderr, "stale:", path)
		}
		stale = append(stale, path)
	}
	if len(stale) > 0 {
		fmt.Fprintf(stderr, "eventwire gen: %d generated %s out of date (%s); run go generate\n",
			len(stale), plural(len(stale), "file is", "files are"), strings.Join(stale, ", "))
		return ExitFail
	}
	fmt.Fprintln(stdout, "eventwire gen: generated files are up to date")
	return ExitOK
}

// sameContent reports whether path holds exactly data; a missing file does not.
func sameContent(path string, data []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("eventwire gen: %w", err)
	}
	return bytes.Equal(old, data), nil
}

// writeAtomic replaces path with data through a temporary file in the same
// directory; an existing file's permissions are kept.
func writeAtomic(path string, data []byte) (err error) {
	mode := fs.FileMode(0o644)
	if fi, statErr := os.Stat(path); statErr == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name()) // our own temporary file, never the user's
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), mode); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
