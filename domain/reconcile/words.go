package reconcile

import (
	"fmt"
	"strings"

	"lunas/domain"
)

// Sentence is the item in plain words for the person reading the
// reconciliation, in lang (domain.LangIndonesian or domain.LangEnglish; any
// other is Indonesian): what was compared, what differs and, where Lunas
// knows, why and what to do. It never shows a result code.
func (it Item) Sentence(lang string) string {
	en := lang == domain.LangEnglish
	w := func(e, id string) string {
		if en {
			return e
		}
		return id
	}
	rp := func(r domain.Rupiah) string { return r.Format(lang) }
	var head string
	switch it.Area {
	case AreaPayment:
		head = w("Payment ", "Pembayaran ") + it.Subject
	case AreaTransfer:
		head = w("Transfer ", "Transfer ") + it.Subject
	case AreaBalance:
		return it.balanceSentence(lang)
	}
	if it.Subject == "" { // a list the gateway could not give
		head = w("The list of ", "Daftar ") + w(string(it.Area)+"s", areaID[it.Area]) + w(" at ", " di ") + gatewayName(it.Gateway)
	}
	at := w(" at ", " di ") + gatewayName(it.Gateway)
	local, remote := statusWords(it.Area, it.LocalStatus, lang), stateWords(it.Area, it.RemoteState, lang)
	var s string
	switch it.Kind {
	case Matched:
		s = w("agrees with the gateway.", "cocok dengan gateway.")
	case Behind:
		s = fmt.Sprintf(w("is %s in Lunas and already %s%s: Lunas records that at its next check, nothing to do.",
			"tercatat %s di Lunas dan %s%s: Lunas mencatatnya pada pengecekan berikutnya, tidak perlu tindakan."), local, remote, at)
	case MissingAtGateway:
		s = fmt.Sprintf(w("is %s in Lunas (%s), but %s has no record of it. Check it at the gateway before doing anything else.",
			"tercatat %s di Lunas (%s), tetapi %s tidak punya catatannya. Periksa di gateway sebelum melakukan hal lain."),
			local, rp(it.LocalAmount), gatewayName(it.Gateway))
	case MissingLocally:
		if it.Area == AreaPayment {
			s = fmt.Sprintf(w("was received%s (%s), but Lunas has no record of it: it was not made through Lunas, or its order is missing.",
				"diterima%s (%s), tetapi Lunas tidak punya catatannya: pembayaran ini tidak dibuat lewat Lunas, atau pesanannya hilang."),
				at, rp(it.RemoteAmount))
		} else {
			s = fmt.Sprintf(w("was paid out%s (%s), but Lunas has no transfer with this REFID: find out who sent it.",
				"dibayarkan%s (%s), tetapi Lunas tidak punya transfer dengan REFID ini: cari tahu siapa yang mengirimnya."),
				at, rp(it.RemoteAmount))
		}
	case StatusMismatch:
		s = fmt.Sprintf(w("is %s in Lunas but %s%s.", "tercatat %s di Lunas, tetapi %s%s."), local, remote, at)
	case AmountMismatch:
		diff, more := it.RemoteAmount-it.LocalAmount, w("more", "lebih banyak")
		if diff < 0 {
			diff, more = -diff, w("less", "lebih sedikit")
		}
		s = fmt.Sprintf(w("is %s in Lunas but %s%s: %s %s at the gateway.", "bernilai %s di Lunas, tetapi %s%s: %s %s di gateway."),
			rp(it.LocalAmount), rp(it.RemoteAmount), at, rp(diff), more)
	case AmountNotChecked:
		if it.Covered {
			s = fmt.Sprintf(w("is %s in Lunas and%s too; the gateway does not say the amount of each one, but its balance agrees with the books, which covers the amount (%s) in total.",
				"tercatat %s di Lunas dan%s juga; gateway tidak menyebut nilai tiap transaksi, tetapi saldonya sesuai catatan, sehingga nilainya (%s) tercakup secara total."),
				local, at, rp(it.LocalAmount))
			break
		}
		s = fmt.Sprintf(w("is %s in Lunas and%s too, but the gateway did not say the amount, so the amount (%s) is not verified.",
			"tercatat %s di Lunas dan%s juga, tetapi gateway tidak menyebut nilainya, jadi nilainya (%s) belum terverifikasi."),
			local, at, rp(it.LocalAmount))
	case Unchecked:
		s = fmt.Sprintf(w("could not be checked: %s gave no usable answer. Reconcile again later.",
			"belum bisa dicek: %s tidak memberi jawaban yang bisa dipakai. Rekonsiliasi lagi nanti."), gatewayName(it.Gateway))
	case NotConfigured:
		s = fmt.Sprintf(w("went through %s, which is not set up in this Lunas, so it was not checked.",
			"lewat %s, yang belum diatur di Lunas ini, jadi tidak dicek."), gatewayName(it.Gateway))
	default:
		s = w("differs from the gateway.", "berbeda dengan gateway.")
	}
	return head + " " + s
}

var areaID = map[Area]string{AreaPayment: "pembayaran", AreaTransfer: "transfer", AreaBalance: "saldo"}

// balanceSentence explains a channel's balance against the books.
func (it Item) balanceSentence(lang string) string {
	en := lang == domain.LangEnglish
	w := func(e, id string) string {
		if en {
			return e
		}
		return id
	}
	rp := func(r domain.Rupiah) string { return r.Format(lang) }
	name := gatewayName(it.Gateway)
	var b strings.Builder
	switch it.Kind {
	case Matched:
		fmt.Fprintf(&b, w("The balance at %s (%s) is what the books expect.", "Saldo di %s (%s) sesuai catatan."), name, rp(it.RemoteAmount))
	case Unchecked:
		if it.Balance == nil || !it.Balance.Read {
			fmt.Fprintf(&b, w("The balance at %s could not be read: the gateway gave no usable answer. Reconcile again later.",
				"Saldo di %s tidak bisa dibaca: gateway tidak memberi jawaban yang bisa dipakai. Rekonsiliasi lagi nanti."), name)
		} else {
			fmt.Fprintf(&b, w("The balance at %s (%s) could not be compared: the gateway did not tell the state of %d transfer(s) in progress. Reconcile again later.",
				"Saldo di %s (%s) belum bisa dibandingkan: gateway tidak memberi tahu keadaan %d transfer yang sedang berjalan. Rekonsiliasi lagi nanti."),
				name, rp(it.RemoteAmount), it.Balance.Unsure)
		}
		return b.String()
	default:
		diff := it.RemoteAmount - it.LocalAmount
		more := w("more", "lebih banyak")
		if diff < 0 {
			diff, more = -diff, w("less", "lebih sedikit")
		}
		fmt.Fprintf(&b, w("The balance at %s is %s, but the books expect %s: %s %s than expected.",
			"Saldo di %s %s, tetapi menurut catatan seharusnya %s: %s %s dari seharusnya."),
			name, rp(it.RemoteAmount), rp(it.LocalAmount), rp(diff), more)
	}
	d := it.Balance
	if d == nil {
		return b.String()
	}
	if d.Flagged != 0 {
		fmt.Fprintf(&b, w(" This counts %s received for %d flagged payment(s), not yet in the books.",
			" Ini termasuk %s yang diterima untuk %d pembayaran yang ditandai, belum masuk catatan."), rp(d.Flagged), d.FlaggedCount)
	}
	if d.Unrecorded != 0 {
		fmt.Fprintf(&b, w(" This counts %s paid for %d payment(s) that Lunas records at its next check.",
			" Ini termasuk %s dari %d pembayaran yang dicatat Lunas pada pengecekan berikutnya."), rp(d.Unrecorded), d.UnrecordedCount)
	}
	if d.InTransit != 0 {
		fmt.Fprintf(&b, w(" %d transfer(s) in progress (%s) count as already taken from it.",
			" %d transfer yang sedang berjalan (%s) dihitung sudah keluar dari saldo."), d.InTransitCount, rp(d.InTransit))
	}
	if it.Kind != Matched && !d.OpeningRecorded && d.Given == 0 {
		fmt.Fprintf(&b, w(" No opening balance is recorded for %s, so what it held before Lunas used it is not in the books. If that is the difference, give it as the opening balance (lunas reconcile --opening).",
			" Saldo awal %s tidak tercatat, jadi isinya sebelum dipakai Lunas tidak ada di catatan. Jika itu selisihnya, isikan sebagai saldo awal (lunas reconcile --opening)."), name)
	}
	if it.Kind != Matched && d.Given != 0 {
		fmt.Fprintf(&b, w(" The books' figure includes %s you gave as money they do not know.",
			" Angka catatan sudah termasuk %s yang Anda isikan sebagai uang di luar catatan."), rp(d.Given))
	}
	if it.Kind != Matched {
		b.WriteString(w(" A top-up, a withdrawal or a gateway fee made outside Lunas shows here too.",
			" Isi saldo, penarikan, atau biaya gateway di luar Lunas juga terlihat di sini."))
	}
	return b.String()
}

// gatewayName is how people call a gateway or payout channel.
func gatewayName(name string) string {
	switch name {
	case "xendit":
		return "Xendit"
	case "midtrans":
		return "Midtrans"
	case "iris":
		return "Iris (Midtrans)"
	case "doku":
		return "DOKU"
	case "ipaymu":
		return "iPaymu"
	case "":
		return "?"
	}
	if sup, ok := strings.CutPrefix(name, "h2h:"); ok {
		return "H2H " + sup
	}
	return name
}

// Words for local statuses and the gateways' answers, per area: [en, id].
var (
	paymentStatusWords = map[string][2]string{
		string(domain.PaymentPending): {"waiting for payment", "menunggu pembayaran"},
		string(domain.PaymentSettled): {"paid", "lunas"},
		string(domain.PaymentFailed):  {"failed", "gagal"},
		string(domain.PaymentExpired): {"expired", "kedaluwarsa"},
		string(domain.PaymentFlagged): {"paid but held for checking", "dibayar tetapi ditahan untuk dicek"},
	}
	paymentStateWords = map[string][2]string{
		string(domain.PaymentStatePending): {"not paid yet", "belum dibayar"},
		string(domain.PaymentStatePaid):    {"paid", "sudah dibayar"},
		string(domain.PaymentStateFailed):  {"failed", "gagal"},
		string(domain.PaymentStateExpired): {"expired", "kedaluwarsa"},
	}
	transferStatusWords = map[string][2]string{
		string(domain.TransferAwaitingApproval): {"waiting for approval", "menunggu persetujuan"},
		string(domain.TransferApproved):         {"approved and not sent yet", "disetujui dan belum dikirim"},
		string(domain.TransferQueuedBalance):    {"waiting for a top-up", "menunggu saldo"},
		string(domain.TransferSending):          {"being sent", "sedang dikirim"},
		string(domain.TransferAccepted):         {"accepted by the gateway and not final yet", "diterima gateway dan belum final"},
		string(domain.TransferUnknown):          {"of unknown outcome", "belum diketahui hasilnya"},
		string(domain.TransferSucceeded):        {"paid", "berhasil dibayar"},
		string(domain.TransferFailed):           {"failed", "gagal"},
		string(domain.TransferReversed):         {"returned after payment", "dikembalikan setelah dibayar"},
		string(domain.TransferRejected):         {"refused before sending", "ditolak sebelum dikirim"},
		string(domain.TransferCancelled):        {"cancelled", "dibatalkan"},
	}
	payoutOutcomeWords = map[string][2]string{
		string(domain.OutcomeAccepted):  {"in progress", "sedang diproses"},
		string(domain.OutcomeSucceeded): {"paid", "berhasil dibayar"},
		string(domain.OutcomeFailed):    {"failed", "gagal"},
		string(domain.OutcomeRejected):  {"refused", "ditolak"},
		string(domain.OutcomeCancelled): {"cancelled", "dibatalkan"},
		string(domain.OutcomeReversed):  {"returned after payment", "dikembalikan setelah dibayar"},
		string(domain.OutcomeNotFound):  {"not known", "tidak dikenal"},
	}
)

func pickWords(m map[string][2]string, key, lang string) string {
	v, ok := m[key]
	switch {
	case !ok && lang == domain.LangEnglish:
		return "in an unrecognised state"
	case !ok:
		return "dalam keadaan yang tidak dikenal"
	case lang == domain.LangEnglish:
		return v[0]
	}
	return v[1]
}

// statusWords is a local status in words.
func statusWords(a Area, status, lang string) string {
	if a == AreaPayment {
		return pickWords(paymentStatusWords, status, lang)
	}
	return pickWords(transferStatusWords, status, lang)
}

// stateWords is the gateway's answer in words.
func stateWords(a Area, state, lang string) string {
	if a == AreaPayment {
		return pickWords(paymentStateWords, state, lang)
	}
	return pickWords(payoutOutcomeWords, state, lang)
}

// AreaWords is what an item is about, in words.
func AreaWords(a Area, lang string) string {
	if lang == domain.LangEnglish {
		return string(a)
	}
	return areaID[a]
}

// LocalWords is Lunas's status of the record in words ("" for balances).
func (it Item) LocalWords(lang string) string {
	if it.LocalStatus == "" {
		return ""
	}
	return statusWords(it.Area, it.LocalStatus, lang)
}

// RemoteWords is the gateway's answer in words, with the gateway's own
// status word after it when that differs ("sudah dibayar (SETTLED)").
func (it Item) RemoteWords(lang string) string {
	if it.RemoteState == "" {
		return it.RemoteStatus
	}
	s := stateWords(it.Area, it.RemoteState, lang)
	if it.RemoteStatus != "" && it.RemoteStatus != it.RemoteState {
		s += " (" + it.RemoteStatus + ")"
	}
	return s
}

// KindWords is a result kind in words, for column headings and counts.
func KindWords(k Kind, lang string) string { return pickWords(kindWords, string(k), lang) }

var kindWords = map[string][2]string{
	string(Matched):          {"matched", "cocok"},
	string(Behind):           {"not yet recorded by Lunas", "belum dicatat Lunas"},
	string(MissingLocally):   {"missing in Lunas", "tidak ada di Lunas"},
	string(MissingAtGateway): {"missing at gateway", "tidak ada di gateway"},
	string(AmountMismatch):   {"amount differs", "nilai berbeda"},
	string(StatusMismatch):   {"status differs", "status berbeda"},
	string(Unchecked):        {"not checked", "belum dicek"},
	string(AmountNotChecked): {"amount not checked", "nilai belum dicek"},
	string(NotConfigured):    {"gateway not configured", "gateway belum diatur"},
}
