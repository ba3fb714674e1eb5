package auth_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"users/internal/auth"
)

func newPasswords(t *testing.T, cost int) *auth.Passwords {
	t.Helper()
	p, err := auth.NewPasswords(cost, 0)
	if err != nil {
		t.Fatalf("NewPasswords(%d): %v", cost, err)
	}
	return p
}

func TestNewPasswordsCost(t *testing.T) {
	tests := []struct {
		cost    int
		wantErr bool
	}{
		{bcrypt.MinCost - 1, true},
		{bcrypt.MinCost, false},
		{12, false},
		{bcrypt.MaxCost, false},
		{bcrypt.MaxCost + 1, true},
	}
	for _, tt := range tests {
		p, err := auth.NewPasswords(tt.cost, 0)
		if gotErr := err != nil; gotErr != tt.wantErr {
			t.Errorf("NewPasswords(%d) error = %v, want error %v", tt.cost, err, tt.wantErr)
		}
		if err == nil && p.Cost() != tt.cost {
			t.Errorf("NewPasswords(%d).Cost() = %d", tt.cost, p.Cost())
		}
	}
}

func TestPasswordsHashVerify(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	p := newPasswords(t, bcrypt.MinCost)

	passwords := []string{"alicepass1", "pässwört12", "a", strings.Repeat("ä", 64)}
	for _, password := range passwords {
		t.Run(password, func(t *testing.T) {
			hash, err := p.Hash(ctx, password)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypt.MinCost {
				t.Errorf("cost of %q = %d (%v), want %d", hash, cost, err, bcrypt.MinCost)
			}
			if len(password) >= 8 && strings.Contains(hash, password) {
				t.Errorf("hash %q contains the password", hash)
			}
			again, err := p.Hash(ctx, password)
			if err != nil {
				t.Fatal(err)
			}
			if again == hash {
				t.Error("two hashes of one password are equal: no salt")
			}

			tests := []struct {
				name     string
				password string
				wantOK   bool
			}{
				{"same", password, true},
				{"other", "x" + password, false},
				{"empty", "", false},
				{"upper case", strings.ToUpper(password), strings.ToUpper(password) == password},
			}
			for _, tt := range tests {
				ok, rehash, err := p.Verify(ctx, hash, tt.password)
				if err != nil || ok != tt.wantOK || rehash {
					t.Errorf("Verify(%s) = %v, %v, %v; want %v, false, nil", tt.name, ok, rehash, err, tt.wantOK)
				}
			}
		})
	}
}

func TestPasswordsVerifyVersions(t *testing.T) {
	t.Parallel()
	p := newPasswords(t, bcrypt.MinCost)
	raw, err := bcrypt.GenerateFromPassword([]byte("alicepass1"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// $2a$, $2b$ and $2y$ differ only in how old C implementations handled
	// some inputs; x/crypto and Python's bcrypt compute the same digest.
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		hash := prefix + string(raw[4:])
		ok, _, err := p.Verify(t.Context(), hash, "alicepass1")
		if err != nil || !ok {
			t.Errorf("Verify(%s...) = %v, %v; want true, nil", prefix, ok, err)
		}
		ok, _, err = p.Verify(t.Context(), hash, "alicepass2")
		if err != nil || ok {
			t.Errorf("Verify(%s..., wrong) = %v, %v; want false, nil", prefix, ok, err)
		}
	}
}

func TestPasswordsMalformedHash(t *testing.T) {
	t.Parallel()
	p := newPasswords(t, bcrypt.MinCost)
	good, err := bcrypt.GenerateFromPassword([]byte("alicepass1"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[string]string{
		"empty":           "",
		"plain text":      "alicepass1",
		"truncated":       string(good[:len(good)-10]),
		"no cost":         "$2a$" + string(good[7:]),
		"cost too high":   "$2a$99" + string(good[6:]),
		"major version 3": "$3a$" + string(good[4:]),
		"sha512-crypt":    "$6$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g.",
	}
	for name, hash := range hashes {
		t.Run(name, func(t *testing.T) {
			ok, rehash, err := p.Verify(t.Context(), hash, "alicepass1")
			if err == nil || ok || rehash {
				t.Errorf("Verify = %v, %v, %v; want false, false, an error", ok, rehash, err)
			}
			if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
				t.Errorf("error %v is a mismatch, want a malformed-hash error", err)
			}
		})
	}
}

func TestPasswordsRehash(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	p4 := newPasswords(t, 4)
	p5 := newPasswords(t, 5)
	hash4, err := p4.Hash(ctx, "rehashme1")
	if err != nil {
		t.Fatal(err)
	}
	hash5, err := p5.Hash(ctx, "rehashme1")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		p          *auth.Passwords
		hash       string
		password   string
		wantOK     bool
		wantRehash bool
	}{
		{"below the configured cost", p5, hash4, "rehashme1", true, true},
		{"at the configured cost", p5, hash5, "rehashme1", true, false},
		{"above the configured cost", p4, hash5, "rehashme1", true, false},
		{"below, wrong password", p5, hash4, "rehashme2", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := tt.p.Verify(ctx, tt.hash, tt.password)
			if err != nil || ok != tt.wantOK || rehash != tt.wantRehash {
				t.Errorf("Verify = %v, %v, %v; want %v, %v, nil", ok, rehash, err, tt.wantOK, tt.wantRehash)
			}
		})
	}
}

// TestPasswordsTruncate checks the documented 72-byte rule: bcrypt only ever
// sees the first 72 bytes, as Python's bcrypt did when it made the legacy
// hashes, so longer passwords are accepted and bytes after the 72nd are ignored.
func TestPasswordsTruncate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	p := newPasswords(t, bcrypt.MinCost)
	prefix := strings.Repeat("k", 71) + "7" // 72 bytes
	long := prefix + "3"                    // 73 bytes
	umlauts := strings.Repeat("ä", 64)      // 64 characters, 128 bytes

	// A hash the legacy app would have stored for the 73-byte password:
	// Python's bcrypt hashed its first 72 bytes.
	legacy, err := bcrypt.GenerateFromPassword([]byte(prefix), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hashLong, err := p.Hash(ctx, long)
	if err != nil {
		t.Fatalf("Hash of 73 bytes: %v", err)
	}
	hashUmlauts, err := p.Hash(ctx, umlauts)
	if err != nil {
		t.Fatalf("Hash of 128 bytes: %v", err)
	}

	tests := []struct {
		name     string
		hash     string
		password string
		want     bool
	}{
		{"73 bytes against the legacy hash of its 72-byte prefix", string(legacy), long, true},
		{"72-byte prefix against a hash of 73 bytes", hashLong, prefix, true},
		{"73 bytes with another last byte", hashLong, prefix + "4", true},
		{"73 bytes against their own hash", hashLong, long, true},
		{"change in byte 72", hashLong, strings.Repeat("k", 71) + "8", false},
		{"71 bytes", hashLong, prefix[:71], false},
		{"128 bytes against their own hash", hashUmlauts, umlauts, true},
		{"36 umlauts are the same 72 bytes", hashUmlauts, strings.Repeat("ä", 36), true},
		{"35 umlauts", hashUmlauts, strings.Repeat("ä", 35), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, _, err := p.Verify(ctx, tt.hash, tt.password)
			if err != nil || ok != tt.want {
				t.Errorf("Verify = %v, %v; want %v, nil", ok, err, tt.want)
			}
		})
	}
}

func TestPasswordsVerifyNothing(t *testing.T) {
	t.Parallel()
	for _, cost := range []int{bcrypt.MinCost, 5} {
		p := newPasswords(t, cost)
		for _, password := range []string{"", "alicepass1", strings.Repeat("x", 200)} {
			if err := p.VerifyNothing(t.Context(), password); err != nil {
				t.Errorf("cost %d: VerifyNothing(%d bytes) = %v, want nil", cost, len(password), err)
			}
		}
	}
}

// TestPasswordsEqualWork counts the bcrypt work of every outcome of a login
// (through the cost of each computation, not the clock): a refusal, whether
// the email is unknown or the password wrong, and whatever the cost of the
// stored hash, spends at least one comparison at the configured cost, so its
// speed tells nothing about the account.
func TestPasswordsEqualWork(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const configured = 6
	hashes := map[int]string{}
	for _, cost := range []int{4, configured, 7} {
		h, err := bcrypt.GenerateFromPassword([]byte("alicepass1"), cost)
		if err != nil {
			t.Fatal(err)
		}
		hashes[cost] = string(h)
	}
	var costs []int
	p := newPasswords(t, configured)
	p.ObserveCosts(func(cost int) { costs = append(costs, cost) })

	verify := func(cost int, password string) func() error {
		return func() error { _, _, err := p.Verify(ctx, hashes[cost], password); return err }
	}
	tests := []struct {
		name string
		call func() error
		want []int // the cost of each computation, in order
	}{
		// 2^4 + 2^4 + 2^5 = 2^6 rounds, as one comparison at the configured cost.
		{"wrong password, hash below the configured cost", verify(4, "wrongpass1"), []int{4, 4, 5}},
		{"wrong password, hash at the configured cost", verify(configured, "wrongpass1"), []int{configured}},
		{"wrong password, hash above the configured cost", verify(7, "wrongpass1"), []int{7}},
		{"unknown email", func() error { return p.VerifyNothing(ctx, "wrongpass1") }, []int{configured}},
		// A right password against a cheaper hash is cheap here; the caller
		// then hashes it at the configured cost (rehash), as the next case.
		{"right password, hash below the configured cost", verify(4, "alicepass1"), []int{4}},
		{"the upgrade", func() error { _, err := p.Hash(ctx, "alicepass1"); return err }, []int{configured}},
		{"right password, hash at the configured cost", verify(configured, "alicepass1"), []int{configured}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			costs = nil
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(costs, tt.want) {
				t.Errorf("bcrypt costs = %v, want %v", costs, tt.want)
			}
			if rounds := bcryptRounds(costs); strings.HasPrefix(tt.name, "wrong") || tt.name == "unknown email" {
				if rounds < 1<<configured || (rounds != 1<<configured && costs[0] < configured) {
					t.Errorf("a refusal spent %d rounds, want %d (one comparison at the configured cost)", rounds, 1<<configured)
				}
			}
		})
	}

	t.Run("a malformed hash costs nothing", func(t *testing.T) {
		costs = nil
		if _, _, err := p.Verify(ctx, "$2a$99$notahash", "alicepass1"); err == nil {
			t.Error("Verify of a malformed hash: no error")
		}
		if len(costs) != 0 {
			t.Errorf("bcrypt costs = %v, want none", costs)
		}
	})
}

// bcryptRounds is the work of comparisons at costs: 2^cost rounds each.
func bcryptRounds(costs []int) int {
	n := 0
	for _, c := range costs {
		n += 1 << c
	}
	return n
}

// BenchmarkVerify shows the time of each login outcome at cost 10 (1 024
// rounds; 12, the default, takes four times as long): a wrong password
// against a cost-4 hash takes the time of the configured cost, as against a
// hash at that cost and for an unknown email.
func BenchmarkVerify(b *testing.B) {
	const configured = 10
	p, err := auth.NewPasswords(configured, 0)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	for _, bc := range []struct {
		name     string
		hashCost int // 0: unknown email
		password string
	}{
		{"wrong password/hash cost 4", 4, "wrongpass1"},
		{"wrong password/hash cost 10", configured, "wrongpass1"},
		{"unknown email", 0, "wrongpass1"},
		{"right password/hash cost 4", 4, "alicepass1"},
		{"right password/hash cost 10", configured, "alicepass1"},
	} {
		var hash []byte
		if bc.hashCost > 0 {
			if hash, err = bcrypt.GenerateFromPassword([]byte("alicepass1"), bc.hashCost); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if hash == nil {
					err = p.VerifyNothing(ctx, bc.password)
				} else {
					_, _, err = p.Verify(ctx, string(hash), bc.password)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
