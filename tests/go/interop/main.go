// Command interop checks vitrine's transparency log with Go's own implementation of the same
// formats, golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's golang-golang-x-mod-dev; built
// offline with GOPATH=/usr/share/gocode GO111MODULE=off).
//
//	interop check DIR VKEY OLDCHECKPOINT PROOF ENTRY CONSISTENCY
//	    verifies DIR/checkpoint with VKEY; reads tiles through tlog.TileHashReader (which checks
//	    every tile against the signed root) to prove and check every entry's inclusion and the
//	    consistency with OLDCHECKPOINT; checks vitrine's tlog-proof file PROOF for the bytes in
//	    ENTRY and vitrine's consistency proof CONSISTENCY (base64 hashes, one per line).
//	interop keygen NAME SKEYFILE VKEYFILE
//	    makes a key pair with note.GenerateKey.
//	interop sign SKEYFILE CHECKPOINT OUT
//	    signs the text of the signed note CHECKPOINT with SKEYFILE and writes the note to OUT.
package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func openCheckpoint(data []byte, vkey string) (checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return checkpoint{}, err
	}
	n, err := note.Open(data, note.VerifierList(v))
	if err != nil {
		return checkpoint{}, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		return checkpoint{}, errors.New("checkpoint too short")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return checkpoint{}, err
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, err
	}
	if lines[0] != v.Name() {
		return checkpoint{}, errors.New("origin is not the key name")
	}
	return checkpoint{lines[0], size, root}, nil
}

// dirTiles reads C2SP tlog-tiles paths (Go's paths without the height element).
type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := strings.Replace(t.Path(), "tile/8/", "tile/", 1)
		data, err := os.ReadFile(filepath.Join(d.dir, p))
		if err != nil && t.W < 256 {
			full := t
			full.W = 256
			data, err = os.ReadFile(filepath.Join(d.dir, strings.Replace(full.Path(), "tile/8/", "tile/", 1)))
			if err == nil {
				data = data[:t.W*tlog.HashSize]
			}
		}
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// entry reads entry i from the bundle for a tree of size n.
func entry(dir string, n, i int64) ([]byte, error) {
	w := n - i/256*256
	if w > 256 {
		w = 256
	}
	t := tlog.Tile{H: 8, L: 0, N: i / 256, W: int(w)}
	p := strings.Replace(t.Path(), "tile/8/0/", "tile/entries/", 1)
	data, err := os.ReadFile(filepath.Join(dir, p))
	if err != nil {
		return nil, err
	}
	for k := int64(0); ; k++ {
		if len(data) < 2 {
			return nil, errors.New("short bundle")
		}
		l := int(data[0])<<8 | int(data[1])
		if len(data) < 2+l {
			return nil, errors.New("short bundle entry")
		}
		if k == i%256 {
			return data[2 : 2+l], nil
		}
		data = data[2+l:]
	}
}

func hashLines(text string) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if line == "" {
			continue
		}
		h, err := tlog.ParseHash(line)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

func check(dir, vkeyFile, oldFile, proofFile, entryFile, consFile string) error {
	vkeyBytes, err := os.ReadFile(vkeyFile)
	if err != nil {
		return err
	}
	vkey := strings.TrimSpace(string(vkeyBytes))
	cpData, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(cpData, vkey)
	if err != nil {
		return fmt.Errorf("checkpoint: %v", err)
	}
	tree := tlog.Tree{N: cp.size, Hash: cp.root}
	hr := tlog.TileHashReader(tree, dirTiles{dir})
	th, err := tlog.TreeHash(cp.size, hr)
	if err != nil || th != cp.root {
		return fmt.Errorf("tree hash from tiles: %v", err)
	}
	for i := int64(0); i < cp.size; i++ {
		data, err := entry(dir, cp.size, i)
		if err != nil {
			return fmt.Errorf("entry %d: %v", i, err)
		}
		p, err := tlog.ProveRecord(cp.size, i, hr)
		if err != nil {
			return fmt.Errorf("prove %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, cp.size, cp.root, i, tlog.RecordHash(data)); err != nil {
			return fmt.Errorf("check record %d: %v", i, err)
		}
	}
	// Consistency with an older checkpoint.
	oldData, err := os.ReadFile(oldFile)
	if err != nil {
		return err
	}
	old, err := openCheckpoint(oldData, vkey)
	if err != nil {
		return fmt.Errorf("old checkpoint: %v", err)
	}
	tp, err := tlog.ProveTree(cp.size, old.size, hr)
	if err != nil {
		return fmt.Errorf("prove tree: %v", err)
	}
	if err := tlog.CheckTree(tp, cp.size, cp.root, old.size, old.root); err != nil {
		return fmt.Errorf("check tree: %v", err)
	}
	// vitrine's consistency proof.
	consText, err := os.ReadFile(consFile)
	if err != nil {
		return err
	}
	cons, err := hashLines(string(consText))
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(tlog.TreeProof(cons), cp.size, cp.root, old.size, old.root); err != nil {
		return fmt.Errorf("vitrine's consistency proof: %v", err)
	}
	// vitrine's tlog-proof.
	proofText, err := os.ReadFile(proofFile)
	if err != nil {
		return err
	}
	parts := bytes.SplitN(proofText, []byte("\n\n"), 2)
	if len(parts) != 2 {
		return errors.New("tlog-proof: no checkpoint")
	}
	head := strings.Split(string(parts[0]), "\n")
	if head[0] != "c2sp.org/tlog-proof@v1" {
		return errors.New("tlog-proof: bad header")
	}
	k := 1
	if strings.HasPrefix(head[k], "extra ") {
		k++
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(head[k], "index "), 10, 64)
	if err != nil {
		return err
	}
	rp, err := hashLines(strings.Join(head[k+1:], "\n"))
	if err != nil {
		return err
	}
	pcp, err := openCheckpoint(parts[1], vkey)
	if err != nil {
		return fmt.Errorf("tlog-proof checkpoint: %v", err)
	}
	entryData, err := os.ReadFile(entryFile)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(tlog.RecordProof(rp), pcp.size, pcp.root, index, tlog.RecordHash(entryData)); err != nil {
		return fmt.Errorf("vitrine's tlog-proof: %v", err)
	}
	fmt.Printf("go: checkpoint %s size %d verified; %d inclusion proofs, consistency from %d, vitrine's proofs ok\n",
		cp.origin, cp.size, cp.size, old.size)
	return nil
}

func main() {
	var err error
	switch {
	case len(os.Args) == 8 && os.Args[1] == "check":
		err = check(os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6], os.Args[7])
	case len(os.Args) == 5 && os.Args[1] == "keygen":
		var skey, vkey string
		skey, vkey, err = note.GenerateKey(rand.Reader, os.Args[2])
		if err == nil {
			err = os.WriteFile(os.Args[3], []byte(skey+"\n"), 0600)
		}
		if err == nil {
			err = os.WriteFile(os.Args[4], []byte(vkey+"\n"), 0644)
		}
	case len(os.Args) == 5 && os.Args[1] == "sign":
		var skey, data []byte
		skey, err = os.ReadFile(os.Args[2])
		if err == nil {
			data, err = os.ReadFile(os.Args[3])
		}
		var s note.Signer
		if err == nil {
			s, err = note.NewSigner(strings.TrimSpace(string(skey)))
		}
		var signed []byte
		if err == nil {
			text := data[:bytes.LastIndex(data, []byte("\n\n"))+1]
			signed, err = note.Sign(&note.Note{Text: string(text)}, s)
		}
		if err == nil {
			err = os.WriteFile(os.Args[4], signed, 0644)
		}
	default:
		err = errors.New("usage: interop check|keygen|sign ...")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "go:", err)
		os.Exit(1)
	}
}
