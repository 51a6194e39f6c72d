package security

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/argon2"

	"lunas/domain"
)

// DefaultPasswordParams are the Argon2id costs of sign-in password hashes:
// lighter than the vault's (a sign-in also unlocks the vault when needed) but
// still far too slow for guessing at scale.
var DefaultPasswordParams = Params{Time: 2, MemoryKiB: 64 * 1024, Threads: 2}

// ErrBadHash reports a stored password hash that cannot be parsed.
var ErrBadHash = errors.New("stored password hash is malformed")

// HashPassword returns an Argon2id hash in PHC form:
// $argon2id$v=19$m=65536,t=2,p=2$<salt>$<hash>.
func HashPassword(password string, p Params) string {
	salt := randomBytes(16)
	sum := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(sum))
}

// CheckPassword reports whether password matches the PHC hash.
func CheckPassword(password, phc string) (bool, error) {
	p, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// parsePHC reads an Argon2id PHC string (possibly tampered: it comes from
// the database file); its parameters are always within sane bounds.
func parsePHC(phc string) (p Params, salt, want []byte, err error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, ErrBadHash
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &threads); err != nil || threads == 0 || threads > 255 || p.Time == 0 {
		return p, nil, nil, ErrBadHash
	}
	p.Threads = uint8(threads)
	if !p.sane() {
		return p, nil, nil, ErrBadHash
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) < 16 || len(want) > 64 || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, ErrBadHash
	}
	return p, salt, want, nil
}

// sane bounds Argon2id parameters read from the database file: a tampered
// hash or vault slot must not make a sign-in allocate gigabytes or run for
// hours (the defaults are t=2..3, 64 MiB, p=2).
func (p Params) sane() bool {
	return p.Time >= 1 && p.Time <= 16 && p.MemoryKiB >= 8*uint32(p.Threads) && p.MemoryKiB <= 1<<20 &&
		p.Threads >= 1 && p.Threads <= 16
}

// ValidatePassword enforces the minimum a shop owner can live with.
func ValidatePassword(pw string) error {
	if len([]rune(pw)) < 10 {
		return domain.Invalid("password", "kata sandi minimal 10 karakter / the password needs at least 10 characters")
	}
	return nil
}

// ---- TOTP (RFC 6238: SHA-1, 6 digits, 30 s)

var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpSkew accepts the previous and next 30 s step for clock drift.
const totpSkew = 1

// matchTOTP returns the time step whose code equals code, if any.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	base := now.Unix() / 30
	for _, d := range []int64{0, -1, 1} {
		if d < -totpSkew || d > totpSkew {
			continue
		}
		step := base + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*30, 0).UTC(), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// Enrolment is what a new user needs to set up their authenticator: show
// the QR image (or the secret for typing), and the recovery codes once.
type Enrolment struct {
	UserID        int64
	Name          string
	Secret        string      // base32, for typing into the app by hand
	URL           string      // otpauth:// URL encoded in the QR image
	QRPNG         []byte      // PNG image of the URL
	QR            image.Image // the same image, for toolkits that take an image
	RecoveryCodes []string
}

func newTOTP(issuer, account string) (*otp.Key, []byte, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: 30,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, nil, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, nil, err
	}
	return key, buf.Bytes(), nil
}

// ---- recovery codes

// RecoveryCodeCount is how many one-time recovery codes a user gets.
const RecoveryCodeCount = 10

// recoveryAlphabet avoids look-alikes (0/O, 1/I/L).
const recoveryAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

func newRecoveryCodes() []string {
	out := make([]string, RecoveryCodeCount)
	for i := range out {
		b := randomBytes(10)
		var s strings.Builder
		for j, c := range b {
			if j == 5 {
				s.WriteByte('-')
			}
			s.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)])
		}
		out[i] = s.String()
	}
	return out
}

func normaliseRecovery(code string) string {
	r := strings.NewReplacer("-", "", " ", "")
	return strings.ToUpper(r.Replace(strings.TrimSpace(code)))
}

// hashRecovery binds a recovery code to its user. Codes carry about 49 bits
// of randomness and are single-use, so a fast hash is enough.
func hashRecovery(userID int64, code string) string {
	h := sha256.Sum256([]byte("lunas recovery\x00" + strconv.FormatInt(userID, 10) + "\x00" + normaliseRecovery(code)))
	return hex.EncodeToString(h[:])
}

func looksLikeRecovery(code string) bool { return len(normaliseRecovery(code)) == 10 }
