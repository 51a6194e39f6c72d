package h2h

import (
	"fmt"
	"sort"
	"strings"
)

// Preset is a named way to read one family of supplier replies, chosen in
// settings instead of writing patterns by hand. A preset sets the reply
// patterns (and adds status words) only: request templates and products
// stay as configured, because suppliers of one reply family still differ
// in how they take requests. Each preset is tested with the replies its
// sources publish (testdata/wire).
type Preset struct {
	Name   string
	Title  string   // shown to the owner
	Source string   // where the reply style is documented
	Reply  []string // reply patterns (StatusWords stands for the status-word pattern)
	// Extra status words, added to the defaults.
	Success, Failed, Pending []string
}

// Presets are the reply styles documented by suppliers (gateways.md §9).
// The default (no preset) reads all of them; a preset reads only its own
// family, so a reply in another style stays unknown instead of being read
// by a pattern meant for someone else.
var Presets = map[string]Preset{
	"otomax": {
		Name:   "otomax",
		Title:  "OtomaX R# (R#refid ... SUCCESS/FAILED/INPROGRESS. SN: .. TRXID: ..)",
		Source: "https://klikoo-doc.readme.io/reference/response-transaction-reversal",
		Reply:  []string{patRHash, patRefidArg, StatusWords, patSN, patReason, patTrxID, patSaldo, patPrice},
	},
	"otomax-report": {
		Name:   "otomax-report",
		Title:  "OtomaX report (report?refid=..&status=20&message=.. SUKSES. SN/Ref:..)",
		Source: "https://maxsi.id/panduan/transaksi-via-ip",
		Reply:  []string{patRefidArg, patRHash, patStatusArg, StatusWords, patSN, patReason, patTrxID, patPrice},
	},
	"otomax-trxid": {
		Name:   "otomax-trxid",
		Title:  "OtomaX/IRS/ST24 TrxID= (Lancar BOS. TrxID=.. kode .. ke .. Sukses/GAGAL/sedang diproses. SN:..)",
		Source: "https://developer.digiflazz.com/otomax/seller/transaksi and https://developer.digiflazz.com/st24/seller/response",
		Reply:  []string{patRHash, patRefidArg, StatusWords, patSN, patTrxID, patSaldo, patRepeat},
	},
	"digiflazz": {
		Name:   "digiflazz",
		Title:  "TRX kode.tujuan BERHASIL/GAGAL ... CLIENTID=refid (Digiflazz, Sidopulsa)",
		Source: "https://developer.digiflazz.com/sipas/buyer/response/ and https://docs.sidopulsa.com/otomax/response",
		Reply:  []string{patClientID, StatusWords, patSN, patGagalWhy, patSaldo, patPrice},
	},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// applyPreset fills cfg's reply patterns and words from its Preset; fields
// the supplier's config sets itself win. An unknown preset is ErrConfig.
func applyPreset(cfg *Config) error {
	name := strings.ToLower(strings.TrimSpace(cfg.Preset))
	if name == "" || name == "default" {
		return nil
	}
	p, ok := Presets[name]
	if !ok {
		return fmt.Errorf("%w: reply preset %q (known: %s)", ErrConfig, cfg.Preset, strings.Join(PresetNames(), ", "))
	}
	if cfg.ReplyPatterns == nil {
		cfg.ReplyPatterns = p.Reply
	}
	cfg.SuccessWords = append(append([]string(nil), p.Success...), cfg.SuccessWords...)
	cfg.FailedWords = append(append([]string(nil), p.Failed...), cfg.FailedWords...)
	cfg.PendingWords = append(append([]string(nil), p.Pending...), cfg.PendingWords...)
	return nil
}
