package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func ctx() context.Context { return context.Background() }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func must(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "argocd-notify:", msg)
	os.Exit(1)
}
