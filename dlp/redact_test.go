package dlp

import (
	"strings"
	"testing"
)

func TestRedactGivesStablePlaceholdersAndRestores(t *testing.T) {
	e := newTestEngine(t)
	v := NewVault()
	in := "Mail jane.doe@acme-corp.com, then jane.doe@acme-corp.com again, and bob.stone@contoso.com."
	out, fs := e.Redact(in, Policy{}, v)
	want := "Mail <EMAIL_1>, then <EMAIL_1> again, and <EMAIL_2>."
	if out != want {
		t.Fatalf("redacted = %q, want %q", out, want)
	}
	if len(fs) != 3 || fs[0].Action != Redact {
		t.Fatalf("findings = %+v", fs)
	}
	// A second text in the same conversation reuses the placeholders.
	out2, _ := e.Redact("reply to bob.stone@contoso.com", Policy{}, v)
	if out2 != "reply to <EMAIL_2>" {
		t.Fatalf("second text = %q", out2)
	}
	if got := v.Restore("I wrote to <EMAIL_2> and <EMAIL_1>, not <EMAIL_3>."); got != "I wrote to bob.stone@contoso.com and jane.doe@acme-corp.com, not <EMAIL_3>." {
		t.Fatalf("restored = %q", got)
	}
}

func TestRedactActions(t *testing.T) {
	e := newTestEngine(t)
	in := "card 4539 1488 0343 6467 mail jane.doe@acme-corp.com"
	cases := []struct {
		name   string
		policy Policy
		want   string
	}{
		{"redact", Policy{}, "card <CREDIT_CARD_1> mail <EMAIL_1>"},
		{"mask", Policy{CreditCard: Mask}, "card [REDACTED CREDIT_CARD] mail <EMAIL_1>"},
		{"allow", Policy{Email: Allow}, "card <CREDIT_CARD_1> mail jane.doe@acme-corp.com"},
		{"block leaves text, reports", Policy{CreditCard: Block, Email: Allow}, in},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, fs := e.Redact(in, c.policy, NewVault())
			if out != c.want {
				t.Fatalf("got %q, want %q", out, c.want)
			}
			if len(fs) != 2 || fs[0].Action != c.policy.Action(CreditCard) {
				t.Fatalf("findings %+v", fs)
			}
		})
	}
}

func TestVaultSkipsPlaceholdersTheInputAlreadyHad(t *testing.T) {
	e := newTestEngine(t)
	v := NewVault()
	in := "literal <EMAIL_1> and a real jane.doe@acme-corp.com"
	v.Reserve(in)
	out, _ := e.Redact(in, Policy{}, v)
	if out != "literal <EMAIL_1> and a real <EMAIL_2>" {
		t.Fatalf("got %q", out)
	}
	if got := v.Restore("<EMAIL_1> <EMAIL_2>"); got != "<EMAIL_1> jane.doe@acme-corp.com" {
		t.Fatalf("restore = %q", got)
	}
}

func TestRestoreJSONEscapes(t *testing.T) {
	v := NewVault()
	p := v.Placeholder(Person, `Anna "Nan" O'Neil`)
	if got := v.RestoreJSON(`{"to":"` + p + `"}`); got != `{"to":"Anna \"Nan\" O'Neil"}` {
		t.Fatalf("got %s", got)
	}
}

// TestStreamMatchesBatchAtEverySplit splits a reply at every byte and
// checks the stream releases exactly what restoring the whole would.
func TestStreamMatchesBatchAtEverySplit(t *testing.T) {
	e := newTestEngine(t)
	v := NewVault()
	v.Placeholder(Email, "jane.doe@acme-corp.com")
	v.Placeholder(Person, "Margaret Thompson")
	filter := &OutputFilter{Engine: e, Actions: Policy{CreditCard: Mask, Secret: Mask, SSN: Mask, PrivateKey: Block}}
	reply := "I saw: <EMAIL_1> <PERSON_1>. Card 4111 1111 1111 1111 and key AKIAQ3EGRZ5LBW7TXN4P; ünïcödé <EMAIL_9> <EMA"
	want := "I saw: jane.doe@acme-corp.com Margaret Thompson. Card [REDACTED CREDIT_CARD] and key [REDACTED SECRET]; ünïcödé <EMAIL_9> <EMA"
	for split := 0; split <= len(reply); split++ {
		for _, size := range []int{1, 3, 7} {
			s := NewStream(v, filter, false)
			var got strings.Builder
			got.WriteString(s.Push(reply[:split]))
			for i := split; i < len(reply); i += size {
				got.WriteString(s.Push(reply[i:min(i+size, len(reply))]))
			}
			got.WriteString(s.Flush())
			if got.String() != want {
				t.Fatalf("split %d size %d:\n got %q\nwant %q", split, size, got.String(), want)
			}
		}
	}
}

func TestStreamBlocksPrivateKey(t *testing.T) {
	e := newTestEngine(t)
	filter := &OutputFilter{Engine: e, Actions: Policy{PrivateKey: Block}}
	s := NewStream(nil, filter, false)
	var got strings.Builder
	key := "Here: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2jEXAMPLEKEYDATAxxyz\n-----END RSA PRIVATE KEY----- done"
	for i := 0; i < len(key); i += 5 {
		got.WriteString(s.Push(key[i:min(i+5, len(key))]))
	}
	got.WriteString(s.Flush())
	if s.Blocked == nil || s.Blocked.Type != PrivateKey {
		t.Fatalf("not blocked: %+v", s.Blocked)
	}
	if strings.Contains(got.String(), "MIIE") || strings.Contains(got.String(), "BEGIN") {
		t.Fatalf("key material released: %q", got.String())
	}
	if !strings.HasPrefix(got.String(), "Here:") {
		t.Fatalf("text before the key was lost: %q", got.String())
	}
}

func TestStreamPassesValuesFromInput(t *testing.T) {
	e := newTestEngine(t)
	filter := &OutputFilter{Engine: e, Actions: Policy{CreditCard: Mask},
		FromInput: func(t Type, v string) bool { return v == "4539 1488 0343 6467" }}
	s := NewStream(nil, filter, false)
	got := s.Push("your card 4539 1488 0343 6467 and mine 4111 1111 1111 1111 ") + s.Flush()
	if got != "your card 4539 1488 0343 6467 and mine [REDACTED CREDIT_CARD] " {
		t.Fatalf("got %q", got)
	}
}
