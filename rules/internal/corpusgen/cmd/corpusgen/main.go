// Command corpusgen writes the detector corpus into a directory:
//
//	go run ./internal/corpusgen/cmd/corpusgen testdata/corpus
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/caddy-minimize/caddy-minimize/rules/internal/corpusgen"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: corpusgen DIR")
		os.Exit(2)
	}
	if err := os.MkdirAll(os.Args[1], 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for name, data := range corpusgen.Files() {
		if err := os.WriteFile(filepath.Join(os.Args[1], name), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
