package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/term"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/gateways/sandbox"
	"lunas/security"
)

// initKey is a gateway key `lunas init` stores in the vault, from its flag
// or, better (flags show in the process list), its environment variable.
type initKey struct{ Flag, Env, Secret, Help string }

var initKeys = []initKey{
	{"xendit-key", "LUNAS_XENDIT_KEY", secretXenditKey, "Xendit secret key"},
	{"midtrans-server-key", "LUNAS_MIDTRANS_SERVER_KEY", secretMidtransServer, "Midtrans server key (Snap payment links)"},
	{"iris-creator-key", "LUNAS_IRIS_CREATOR_KEY", secretIrisCreator, "Iris creator key (turns Iris payouts on)"},
	{"iris-approver-key", "LUNAS_IRIS_APPROVER_KEY", secretIrisApprover, "Iris approver key"},
	{"iris-otp-secret", "LUNAS_IRIS_OTP_SECRET", secretIrisOTP, "the Iris approver's authenticator (TOTP) secret"},
	{"iris-merchant-key", "LUNAS_IRIS_MERCHANT_KEY", secretIrisMerchant, "Iris notification key"},
	{"doku-secret-key", "LUNAS_DOKU_SECRET_KEY", secretDOKUKey, "DOKU secret key (with --set gateway.doku.member_id=CLIENT_ID)"},
	{"doku-private-key", "LUNAS_DOKU_PRIVATE_KEY", secretDOKUPrivateKey, "Kirim DOKU RSA private key (PEM)"},
	{"ipaymu-key", "LUNAS_IPAYMU_KEY", secretIpaymuKey, "iPaymu API key (with --set gateway.ipaymu.member_id=VA)"},
	{"h2h-password", "LUNAS_H2H_PASSWORD", secretH2HPassword, "H2H supplier password"},
	{"h2h-pin", "LUNAS_H2H_PIN", secretH2HPIN, "H2H supplier PIN"},
}

// Errors of lunas init a person can act on.
var (
	errShopExists = errors.New("database ini sudah berisi toko: init hanya membuat toko baru di database kosong / " +
		"this database already holds a shop: init only makes a new shop in an empty database")
	errNoOwnerName = errors.New("tulis nama pemilik dengan --owner NAMA / give the owner's name with --owner NAME")
	errNoPassword  = errors.New("setel LUNAS_PASSWORD atau jalankan di terminal untuk mengetik kata sandi / " +
		"set LUNAS_PASSWORD or run in a terminal to type the password")
	errPasswordMismatch = errors.New("kedua kata sandi tidak sama / the two passwords differ")
)

// settingFlag collects repeated --set KEY=VALUE; check turns them into
// checked keys and values (a later KEY wins).
type settingFlag struct {
	raw          []string
	keys, values []string
}

func (s *settingFlag) String() string { return strings.Join(s.raw, ",") }

func (s *settingFlag) Set(kv string) error {
	s.raw = append(s.raw, kv)
	return nil
}

// check parses every --set with parseSetFlag; its errors are typed
// (domain.ErrInvalid, errUnknownSetting).
func (s *settingFlag) check() error {
	for _, kv := range s.raw {
		k, v, err := parseSetFlag(kv)
		if err != nil {
			return err
		}
		s.put(k, v)
	}
	return nil
}

func (s *settingFlag) put(k, v string) {
	for i, old := range s.keys {
		if old == k {
			s.values[i] = v
			return
		}
	}
	s.keys, s.values = append(s.keys, k), append(s.values, v)
}

// parseSetFlag reads KEY=VALUE and checks the value as `lunas settings set`
// does; it returns the value as stored.
func parseSetFlag(kv string) (string, string, error) {
	k, v, ok := strings.Cut(kv, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return "", "", domain.Invalid("set", "tulis KUNCI=NILAI, mis. aml.velocity_max=20 / write KEY=VALUE, e.g. aml.velocity_max=20")
	}
	v, err := parseSettingValue(k, v)
	return k, v, err
}

// runInit creates a shop without the desktop: the owner (name, password,
// authenticator, recovery codes), the vault, the shop's name, time zone and
// language, gateway keys into the vault and plain settings. Everything is
// checked before anything is written; a database that already holds a shop
// is refused; a database file init made is removed again when it fails.
func runInit(e *env, args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	owner := fs.String("owner", os.Getenv("LUNAS_USER"), "the owner's user name (default $LUNAS_USER; asked in a terminal)")
	shopName := fs.String("shop", "", "the shop's name")
	zone := fs.String("timezone", "Asia/Jakarta", "the shop's time zone")
	lang := fs.String("lang", "id", "the desktop's language: id or en")
	sbURL := fs.String("sandbox", "", "trial shop: pay through the Lunas sandbox at this URL (stores its demo Xendit key and URL)")
	var sets settingFlag
	fs.Var(&sets, "set", "KEY=VALUE: a plain setting, as `lunas settings set` (repeatable)")
	keys := make([]*string, len(initKeys))
	for i, k := range initKeys {
		keys[i] = fs.String(k.Flag, "", k.Help+" (or $"+k.Env+")")
	}
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	// Everything people typed is checked before the database is touched.
	if err := sets.check(); err != nil {
		return err
	}
	secrets := map[string]string{}
	for i, k := range initKeys {
		v := strings.TrimSpace(*keys[i])
		if v == "" {
			v = strings.TrimSpace(os.Getenv(k.Env))
		}
		if v != "" {
			secrets[k.Secret] = v
		}
	}
	if *sbURL != "" {
		u, err := parseSettingValue(settingXenditURL, *sbURL)
		if err != nil {
			return err
		}
		if secrets[secretXenditKey] == "" {
			secrets[secretXenditKey] = sandbox.DefaultCredentials().XenditSecretKey
		}
		sets.put(settingXenditURL, u)
	}
	for k, v := range map[string]string{"shop.timezone": *zone, "ui.language": *lang, settingShopName: *shopName} {
		if k == settingShopName && strings.TrimSpace(v) == "" {
			continue
		}
		v, err := parseSettingValue(k, v)
		if err != nil {
			return err
		}
		sets.put(k, v)
	}
	name, pw, err := ownerCredentials(e, *owner)
	if err != nil {
		return err
	}
	if err := security.ValidatePassword(pw); err != nil {
		return err
	}

	ctx := context.Background()
	created := false
	if !e.usesServer() {
		if _, err := os.Stat(e.DBPath); errors.Is(err, os.ErrNotExist) {
			created = true
		}
	}
	vault := security.NewVault(security.VaultOptions{Params: shopVaultParams, Keychain: cliKeychain})
	db, err := openStore(ctx, e, sqlite.Options{Cipher: vault})
	if err != nil {
		return err
	}
	sec := security.New(db, vault, security.Options{PasswordParams: shopPasswordParams})
	enr, err := createShop(ctx, db, sec, name, pw, secrets, sets)
	db.Close()
	if err != nil {
		if created && enr.UserID == 0 {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(e.DBPath + suffix)
			}
		}
		if enr.UserID != 0 {
			return fmt.Errorf("pemilik %s sudah dibuat, sisanya belum / the owner %s was created, the rest was not "+
				"(finish with `lunas settings set` or the desktop): %w", enr.Name, enr.Name, err)
		}
		return err
	}
	printEnrolment(e, enr, secrets, sets)
	return nil
}

// createShop refuses a database that holds a shop, creates the owner with
// the vault (one transaction), then stores the keys and settings as her.
func createShop(ctx context.Context, db shopDB, sec *security.Service, name, pw string, secrets map[string]string, sets settingFlag) (security.Enrolment, error) {
	if has, err := hasShop(ctx, db); err != nil {
		return security.Enrolment{}, err
	} else if has {
		return security.Enrolment{}, errShopExists
	}
	if _, err := sec.BeginOwner(ctx, name, pw); err != nil { // checks the name; stores nothing
		return security.Enrolment{}, err
	}
	enr, err := sec.CreateOwner(ctx, name, pw)
	if errors.Is(err, security.ErrOwnerExists) {
		return security.Enrolment{}, errShopExists
	}
	if err != nil {
		return security.Enrolment{}, err
	}
	sh := &shop{DB: db, Sec: sec, Actor: domain.Actor{UserID: enr.UserID, Name: enr.Name, Role: domain.RoleOwner}}
	for _, k := range sortedKeys(secrets) {
		if err := sec.SetSecret(ctx, sh.Actor, k, secrets[k]); err != nil {
			return enr, fmt.Errorf("%s: %w", k, err)
		}
	}
	for i, k := range sets.keys {
		if err := setSetting(ctx, sh, k, sets.values[i]); err != nil {
			return enr, fmt.Errorf("%s: %w", k, err)
		}
	}
	return enr, nil
}

// ownerCredentials is the owner's name (flag, else asked) and password
// (LUNAS_PASSWORD, else typed twice without echo in a terminal, else one
// line from standard input).
func ownerCredentials(e *env, name string) (string, string, error) {
	in := e.stdin()
	tty := isTerminal(in)
	rd := bufio.NewReader(in)
	name = strings.TrimSpace(name)
	if name == "" {
		if !tty {
			return "", "", errNoOwnerName
		}
		fmt.Fprint(e.Stderr, "Nama pemilik / owner's name: ")
		line, _ := rd.ReadString('\n')
		if name = strings.TrimSpace(line); name == "" {
			return "", "", errNoOwnerName
		}
	}
	if pw := os.Getenv("LUNAS_PASSWORD"); pw != "" {
		return name, pw, nil
	}
	if !tty {
		line, err := rd.ReadString('\n')
		if pw := strings.TrimRight(line, "\r\n"); pw != "" && (err == nil || errors.Is(err, io.EOF)) {
			return name, pw, nil
		}
		return "", "", errNoPassword
	}
	fd := int(in.(*os.File).Fd())
	fmt.Fprint(e.Stderr, "Kata sandi / password (min. 10): ")
	a, err := term.ReadPassword(fd)
	fmt.Fprintln(e.Stderr)
	if err != nil {
		return "", "", err
	}
	fmt.Fprint(e.Stderr, "Ulangi / repeat: ")
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(e.Stderr)
	if err != nil {
		return "", "", err
	}
	if string(a) != string(b) {
		return "", "", errPasswordMismatch
	}
	return name, string(a), nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// printEnrolment shows what the owner needs once: the authenticator (URI,
// QR code, secret) and the recovery codes, then what was stored.
func printEnrolment(e *env, enr security.Enrolment, secrets map[string]string, sets settingFlag) {
	w := e.Stdout
	fmt.Fprintf(w, "Toko dibuat / shop created: %s\n", e.dbName())
	fmt.Fprintf(w, "Pemilik / owner: %s\n\n", enr.Name)
	fmt.Fprintln(w, "Pindai dengan aplikasi autentikator / scan with your authenticator app:")
	fmt.Fprintln(w, enr.URL)
	if qr, err := terminalQR(enr.URL, isTerminal(stdoutFile(w))); err == nil {
		fmt.Fprint(w, qr)
	}
	fmt.Fprintf(w, "Kunci (ketik manual) / key (to type in): %s\n\n", enr.Secret)
	fmt.Fprintln(w, "Kode pemulihan, ditampilkan sekali ini saja: simpan di tempat aman /")
	fmt.Fprintln(w, "recovery codes, shown this once only: keep them somewhere safe:")
	for _, c := range enr.RecoveryCodes {
		fmt.Fprintln(w, "  "+c)
	}
	fmt.Fprintln(w)
	for _, k := range sortedKeys(secrets) {
		fmt.Fprintf(w, "brankas / vault: %s\n", k)
	}
	for i, k := range sets.keys {
		fmt.Fprintf(w, "pengaturan / setting: %s = %s\n", k, showSetting(k, sets.values[i]))
	}
	fmt.Fprintf(w, "\nBerikutnya / next: LUNAS_PASSWORD=... lunas --db %s serve\n", e.dbName())
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func stdoutFile(w io.Writer) io.Reader {
	if f, ok := w.(*os.File); ok {
		return f
	}
	return nil
}

// stdin is where init reads what it asks for.
func (e *env) stdin() io.Reader {
	if e.Stdin != nil {
		return e.Stdin
	}
	return os.Stdin
}
