package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// ThreadStore remembers where the first message about an alert or a group
// went, keyed by the configured channel name and the alert id (or
// GroupThreadKey). *state.Store implements it over the state table.
type ThreadStore interface {
	Thread(ctx context.Context, channel, key string) (state.Thread, bool, error)
	SaveThread(ctx context.Context, channel, key string, th state.Thread) (state.Thread, error)
	ReplaceThread(ctx context.Context, channel, key string, th state.Thread) error
}

var _ ThreadStore = (*state.Store)(nil)

// GroupThreadKey is the thread key of a group message; alert ids are hex, so
// it cannot collide with one.
func GroupThreadKey(groupKey string) string { return "group#" + groupKey }

// Web API methods the bot calls.
// https://docs.slack.dev/reference/methods/chat.postMessage
// https://docs.slack.dev/reference/methods/chat.update
// https://docs.slack.dev/reference/methods/files.getUploadURLExternal
// https://docs.slack.dev/reference/methods/files.completeUploadExternal
const (
	methodPostMessage    = "chat.postMessage"
	methodUpdate         = "chat.update"
	methodGetUploadURL   = "files.getUploadURLExternal"
	methodCompleteUpload = "files.completeUploadExternal"
)

// SlackMaxFileTitle caps the title of an uploaded file; Slack documents no
// limit for it, so this keeps it to a header's length.
// https://docs.slack.dev/reference/methods/files.completeUploadExternal
const SlackMaxFileTitle = render.SlackMaxHeaderText

// botMessage is a chat.postMessage or chat.update body: the rendered message
// plus where it goes.
type botMessage struct {
	render.SlackMessage
	// ThreadTS makes the message a reply in that thread.
	ThreadTS string `json:"thread_ts,omitempty"`
	// ReplyBroadcast also shows a thread reply in the channel.
	ReplyBroadcast bool `json:"reply_broadcast,omitempty"`
	// TS names the message chat.update edits.
	TS string `json:"ts,omitempty"`
}

// postedResponse is the answer of chat.postMessage and chat.update.
type postedResponse struct {
	slack.SlackResponse
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// notifyBot delivers a with the bot token: a group message is edited in
// place when it was posted before; an alert's later states reply in the
// thread of its first message (a resolution is also broadcast to the
// channel); a metric graph is uploaded into the thread afterwards. Only the
// message decides the outcome: thread bookkeeping and the graph upload are
// logged when they fail, never turned into a failed delivery.
func (n *Notifier) notifyBot(ctx context.Context, a alert.Alert) error {
	token, err := n.token.Value(ctx)
	if err != nil {
		return err
	}
	log := n.logger.With("alert", a.ID)
	graph := a.Graph
	if len(graph) > 0 {
		// The image is uploaded; a link to a copy would only repeat it.
		a.GraphURL = ""
	}
	msg := render.Slack(a, n.render)

	if a.Group != nil && n.threads != nil && a.Group.Key != "" {
		return n.upsertGroup(ctx, token, a, msg)
	}

	var root state.Thread
	found := false
	if n.threads != nil && a.ID != "" {
		root, found, err = n.threads.Thread(ctx, n.name, a.ID)
		if err != nil {
			log.WarnContext(ctx, "could not look up the alert's thread; posting a new message", "err", err)
			found = false
		}
	}
	out := botMessage{SlackMessage: msg}
	out.Channel = n.channel
	if found {
		out.ThreadTS = root.TS
		out.ReplyBroadcast = a.State.Resolved()
		if root.ChannelID != "" {
			out.Channel = root.ChannelID
		}
	}
	posted, err := n.post(ctx, token, methodPostMessage, out)
	if err != nil {
		return err
	}
	if !found {
		root = state.Thread{ChannelID: posted.Channel, TS: posted.TS}
		if n.threads != nil && a.ID != "" && posted.TS != "" {
			saved, err := n.threads.SaveThread(ctx, n.name, a.ID, root)
			switch {
			case err != nil:
				log.WarnContext(ctx, "message posted but its thread was not recorded; the next state starts a new thread", "err", err)
			case saved != root:
				log.InfoContext(ctx, "another delivery started the alert's thread first; later states reply there", "ts", saved.TS)
			}
		}
	}
	if len(graph) > 0 && root.TS != "" {
		if err := n.uploadGraph(ctx, token, root, a, graph); err != nil {
			log.WarnContext(ctx, "message sent without its metric graph", "err", err)
		}
	}
	return nil
}

// upsertGroup edits the group's message when one was posted before, and
// otherwise posts it and records where.
func (n *Notifier) upsertGroup(ctx context.Context, token string, a alert.Alert, msg render.SlackMessage) error {
	key := GroupThreadKey(a.Group.Key)
	log := n.logger.With("group", a.Group.Key)
	th, found, err := n.threads.Thread(ctx, n.name, key)
	if err != nil {
		log.WarnContext(ctx, "could not look up the group's message; posting a new one", "err", err)
		found = false
	}
	if found {
		up := botMessage{SlackMessage: msg, TS: th.TS}
		up.Channel = th.ChannelID
		if up.Channel == "" {
			up.Channel = n.channel
		}
		_, err := n.post(ctx, token, methodUpdate, up)
		if err == nil {
			return nil
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !messageGone(apiErr.Code) {
			return err
		}
		log.InfoContext(ctx, "the group's message can no longer be edited; posting a new one", "reason", apiErr.Code)
	}
	out := botMessage{SlackMessage: msg}
	out.Channel = n.channel
	posted, err := n.post(ctx, token, methodPostMessage, out)
	if err != nil {
		return err
	}
	now := state.Thread{ChannelID: posted.Channel, TS: posted.TS}
	if found {
		err = n.threads.ReplaceThread(ctx, n.name, key, now)
	} else {
		_, err = n.threads.SaveThread(ctx, n.name, key, now)
	}
	if err != nil {
		log.WarnContext(ctx, "group message posted but not recorded; its next update posts again", "err", err)
	}
	return nil
}

// messageGone reports whether chat.update failed because the message cannot
// be edited any more (deleted, too old, or posted by someone else).
func messageGone(code string) bool {
	switch code {
	case "message_not_found", "cant_update_message", "edit_window_closed", "msg_too_long_to_update":
		return true
	}
	return false
}

// post sends a JSON body to a chat method and decodes the answer.
func (n *Notifier) post(ctx context.Context, token, method string, msg botMessage) (postedResponse, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return postedResponse{}, fmt.Errorf("%s: encode message: %w", method, err)
	}
	var out postedResponse
	err = n.call(ctx, token, method, "application/json; charset=utf-8", body, &out, &out.SlackResponse)
	return out, err
}

// call posts body to a Web API method with the bot token, decodes the answer
// into out and turns ok:false into an *APIError.
func (n *Notifier) call(ctx context.Context, token, method, contentType string, body []byte, out any, status *slack.SlackResponse) error {
	resp, err := notify.Do(ctx, n.client, notify.Request{
		URL: n.apiURL + "/" + method,
		Header: http.Header{
			"Content-Type":  {contentType},
			"Authorization": {"Bearer " + token},
		},
		Body:    body,
		Secrets: []string{token},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("%s: decode response: %w", method, err)
	}
	if !status.Ok {
		return fmt.Errorf("%s: %w", method, &APIError{Code: notify.Redact(status.Error, token)})
	}
	if w := status.Warn(); w != nil {
		n.logger.WarnContext(context.WithoutCancel(ctx), "slack api warning", "method", method, "warning", strings.Join(w.Codes, ","))
	}
	return nil
}

// form posts URL-encoded parameters to a Web API method.
func (n *Notifier) form(ctx context.Context, token, method string, v url.Values, out any, status *slack.SlackResponse) error {
	return n.call(ctx, token, method, "application/x-www-form-urlencoded", []byte(v.Encode()), out, status)
}

// uploadGraph shares the alert's metric graph in the thread through Slack's
// external upload flow: reserve an upload URL, send the bytes there, then
// complete the upload into the channel and thread.
// https://docs.slack.dev/messaging/working-with-files#uploading_files
func (n *Notifier) uploadGraph(ctx context.Context, token string, th state.Thread, a alert.Alert, png []byte) error {
	var reserved slack.GetUploadURLExternalResponse
	if err := n.form(ctx, token, methodGetUploadURL, url.Values{
		"filename": {graphFileName(a)},
		"length":   {strconv.Itoa(len(png))},
		"alt_txt":  {"Metric graph around the state change"},
	}, &reserved, &reserved.SlackResponse); err != nil {
		return err
	}
	if reserved.UploadURL == "" || reserved.FileID == "" {
		return fmt.Errorf("%s: answer without upload_url or file_id", methodGetUploadURL)
	}
	if _, err := notify.Do(ctx, n.client, notify.Request{
		URL:     reserved.UploadURL,
		Header:  http.Header{"Content-Type": {"application/octet-stream"}},
		Body:    png,
		Secrets: []string{token},
	}); err != nil {
		return fmt.Errorf("upload graph bytes: %w", err)
	}
	files, err := json.Marshal([]slack.FileSummary{{ID: reserved.FileID, Title: graphTitle(a)}})
	if err != nil {
		return fmt.Errorf("%s: encode files: %w", methodCompleteUpload, err)
	}
	channel := th.ChannelID
	if channel == "" {
		channel = n.channel
	}
	var done slack.CompleteUploadExternalResponse
	if err := n.form(ctx, token, methodCompleteUpload, url.Values{
		"files":      {string(files)},
		"channel_id": {channel},
		"thread_ts":  {th.TS},
	}, &done, &done.SlackResponse); err != nil {
		return err
	}
	return nil
}

// graphFileName is a safe file name for the graph: the alert id and state.
func graphFileName(a alert.Alert) string {
	keep := func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}
	id := strings.Map(keep, a.ID)
	if id == "" {
		id = "alert"
	}
	return id + "-" + strings.ToLower(strings.Map(keep, string(a.State))) + ".png"
}

// graphTitle titles the uploaded graph after the alert, escaped, with the
// alert title cut to fit SlackMaxFileTitle.
func graphTitle(a alert.Alert) string {
	title := strings.Join(strings.Fields(a.Title), " ")
	if title == "" {
		title = "alert"
	}
	const prefix = "Metric graph: "
	// Cut before escaping so an entity is never split.
	if r := []rune(title); len(r) > SlackMaxFileTitle-len(prefix) {
		title = string(r[:SlackMaxFileTitle-len(prefix)-1]) + "…"
	}
	return render.SlackEscape(prefix + title)
}
