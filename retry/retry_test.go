package retry

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("uncancelled sleep: %v", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Errorf("zero sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("zero sleep on a done context: %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Sleep(ctx, time.Hour) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("cancelled sleep: %v, want the deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an hour's sleep ignored the context")
	}
}

func TestAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		v    string
		want time.Duration
		ok   bool
	}{
		{"seconds", "3", 3 * time.Second, true},
		{"zero", "0", 0, true},
		{"spaces", " 12 ", 12 * time.Second, true},
		{"fraction", "0.05", 50 * time.Millisecond, true},
		{"http date", now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second, true},
		{"rfc 850 date", now.Add(90 * time.Second).Format(time.RFC850), 90 * time.Second, true},
		{"past date", now.Add(-time.Minute).Format(http.TimeFormat), -time.Minute, true},
		{"huge", "99999999999999999999", time.Duration(math.MaxInt64), true},
		{"empty", "", 0, false},
		{"word", "soon", 0, false},
		{"negative", "-5", 0, false},
		{"plus", "+5", 0, false},
		{"exponent", "1e3", 0, false},
		{"infinity", "Inf", 0, false},
		{"nan", "NaN", 0, false},
		{"two dots", "1.2.3", 0, false},
		{"lone dot", ".", 0, false},
	} {
		got, ok := After(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: After(%q) = %v, %v; want %v, %v", tc.name, tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	const base, max = 500 * time.Millisecond, 8 * time.Second
	for _, tc := range []struct {
		attempt int
		full    time.Duration // the un-jittered wait: the result lies in [full/2, full]
	}{
		{-1, base},
		{0, base},
		{1, time.Second},
		{3, 4 * time.Second},
		{4, max},
		{5, max},
		{62, max},
		{1000, max},
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Backoff(tc.attempt, base, max)
			if d < tc.full/2 || d > tc.full {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tc.attempt, d, tc.full/2, tc.full)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("Backoff(%d) gave the same wait 200 times: no jitter", tc.attempt)
		}
	}
	if d := Backoff(3, 0, max); d != 0 {
		t.Errorf("zero base: %v", d)
	}
	if d := Backoff(3, base, 0); d != 0 {
		t.Errorf("zero max: %v", d)
	}
}
