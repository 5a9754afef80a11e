// Package file writes each rendered alert to a local file instead of sending
// it: the channel of local runs and demos, where the output is the thing to
// look at.
//
// Messages land in <dir>/<channel>/<seq>-<alert id>.<ext>, where seq is a
// zero-padded counter that continues after the highest one already in the
// directory, so repeated runs append instead of overwriting, and ext follows
// the format (json for slack, teams and json; eml for email; txt for text).
// Notify's caller learns the path through NotifyWithReceipt
// (notify.ReceiptNotifier).
package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

// Type is the channel type name in configuration.
const Type = "file"

// Formats a file channel can write.
const (
	FormatJSON  = "json"
	FormatSlack = "slack"
	FormatTeams = "teams"
	FormatEmail = "email"
	FormatText  = "text"
)

// Defaults.
const (
	DefaultDir    = "out"
	DefaultFormat = FormatJSON
	// seqWidth zero-pads the counter so names sort in delivery order.
	seqWidth = 6
	// maxIDInName caps the alert id part of a file name.
	maxIDInName = 64
	// Sender and recipient written into EML files when the channel names none.
	defaultFrom = "watchkeeper@localhost"
	defaultTo   = "oncall@localhost"
)

var extensions = map[string]string{
	FormatJSON:  "json",
	FormatSlack: "json",
	FormatTeams: "json",
	FormatEmail: "eml",
	FormatText:  "txt",
}

// Notifier writes messages into one directory.
type Notifier struct {
	name   string
	dir    string
	format string
	from   string
	to     []string
	render render.Options
	logger *slog.Logger

	mu sync.Mutex
}

var _ notify.ReceiptNotifier = (*Notifier)(nil)

// New builds a file notifier writing cfg.Format (default json) under
// cfg.Dir (default "out")/<cfg.Name>.
func New(cfg config.Channel, _ notify.SecretFunc, logger *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if cfg.Type != "" && cfg.Type != Type {
		return nil, fmt.Errorf("file channel %q: wrong type %q", cfg.Name, cfg.Type)
	}
	format := cfg.Format
	if format == "" {
		format = DefaultFormat
	}
	if _, ok := extensions[format]; !ok {
		return nil, fmt.Errorf("file channel %q: unknown format %q (valid: email, json, slack, teams, text)", cfg.Name, format)
	}
	dir := cfg.Dir
	if dir == "" {
		dir = DefaultDir
	}
	s := notify.Apply(opts...)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	from, to := cfg.From, cfg.To
	if from == "" {
		from = defaultFrom
	}
	if len(to) == 0 {
		to = []string{defaultTo}
	}
	return &Notifier{
		name:   cfg.Name,
		dir:    filepath.Join(dir, safeName(cfg.Name, "channel")),
		format: format,
		from:   from,
		to:     to,
		render: s.Render,
		logger: logger.With("channel", cfg.Name, "type", Type),
	}, nil
}

// Dir is the directory the notifier writes into.
func (n *Notifier) Dir() string { return n.dir }

// Notify writes a; see NotifyWithReceipt for the path.
func (n *Notifier) Notify(ctx context.Context, a alert.Alert) (bool, error) {
	_, retry, err := n.NotifyWithReceipt(ctx, a)
	return retry, err
}

// NotifyWithReceipt writes a and returns the file's path as the Location.
func (n *Notifier) NotifyWithReceipt(ctx context.Context, a alert.Alert) (notify.Delivery, bool, error) {
	body, err := n.content(a)
	if err != nil {
		return notify.Delivery{}, false, fmt.Errorf("file channel %q: %w", n.name, err)
	}
	path, err := n.write(a.ID, body)
	if err != nil {
		return notify.Delivery{}, false, fmt.Errorf("file channel %q: %w", n.name, err)
	}
	n.logger.InfoContext(ctx, "wrote message", "alert", a.ID, "path", path)
	return notify.Delivery{Channel: n.name, Location: path}, false, nil
}

func (n *Notifier) content(a alert.Alert) ([]byte, error) {
	switch n.format {
	case FormatSlack:
		return indent(render.Slack(a, n.render))
	case FormatTeams:
		return indent(render.Teams(a, n.render))
	case FormatEmail:
		opts := n.render
		if len(a.Graph) > 0 {
			opts.GraphPNG = a.Graph // inline, as the email channel sends it
		}
		return render.EML(n.from, n.to, a, opts), nil
	case FormatText:
		return []byte(render.Text(a, n.render)), nil
	}
	var v any
	if err := json.Unmarshal(render.JSON(a), &v); err != nil {
		return nil, fmt.Errorf("re-read webhook body: %w", err)
	}
	return indent(v)
}

func indent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return append(b, '\n'), nil
}

// write creates the next numbered file. The mutex orders writers of this
// process and a lock on the directory orders other processes, so two writers
// never take the same number (names differ by alert id, so O_EXCL alone cannot
// tell); O_EXCL still guards against writers that ignore the lock.
func (n *Notifier) write(id string, body []byte) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := os.MkdirAll(n.dir, 0o755); err != nil {
		return "", fmt.Errorf("create directory: %w", err)
	}
	unlock, err := lockDir(n.dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	seq, err := highestSeq(n.dir)
	if err != nil {
		return "", err
	}
	name := safeName(id, "alert") + "." + extensions[n.format]
	for range 1000 {
		seq++
		path := filepath.Join(n.dir, fmt.Sprintf("%0*d-%s", seqWidth, seq, name))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("create file: %w", err)
		}
		_, werr := f.Write(body)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return "", fmt.Errorf("write %s: %w", path, werr)
		}
		return path, nil
	}
	return "", fmt.Errorf("no free file number in %s", n.dir)
}

// highestSeq is the largest counter among the directory's files, or 0.
func highestSeq(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("list directory: %w", err)
	}
	highest := 0
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "-")
		if !ok {
			continue
		}
		if v, err := strconv.Atoi(prefix); err == nil && v > highest {
			highest = v
		}
	}
	return highest, nil
}

// safeName reduces s to letters, digits, '.', '_' and '-' (others become
// '_'), never starting with '.', at most maxIDInName bytes, or fallback when
// nothing is left, so an alert id cannot climb out of the directory or make
// an unportable name.
func safeName(s, fallback string) string {
	b := []byte(s)
	if len(b) > maxIDInName {
		b = b[:maxIDInName]
	}
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.' && i > 0:
		default:
			b[i] = '_'
		}
	}
	out := strings.Trim(strings.TrimLeft(strings.Trim(string(b), "_"), "."), "_")
	if out == "" {
		return fallback
	}
	return out
}
