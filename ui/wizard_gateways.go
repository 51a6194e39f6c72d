package ui

import "fyne.io/fyne/v2/widget"

// wizardGatewayFields shows what the chosen gateway needs besides its
// secret key: H2H a member ID; DOKU its Client ID and, for Kirim DOKU
// payouts, the private key whose public half is in DOKU's dashboard;
// iPaymu its VA number (and a note that it pays no sellers).
func wizardGatewayFields(code string, member, key1, key2, key3 *widget.Entry, ipNote *widget.Label) {
	member.Hide()
	key2.Show()
	key3.Show()
	ipNote.Hide()
	key1.SetPlaceHolder(tr("wizard.gw.key1"))
	key2.SetPlaceHolder(tr("wizard.gw.key2"))
	switch code {
	case "h2h":
		member.SetPlaceHolder(tr("wizard.gw.member"))
		member.Show()
	case "doku":
		member.SetPlaceHolder(tr("wizard.gw.doku.client"))
		member.Show()
		key1.SetPlaceHolder(tr("settings.doku.key"))
		key2.SetPlaceHolder(tr("wizard.gw.doku.private"))
		key3.SetText("")
		key3.Hide()
	case "ipaymu":
		member.SetPlaceHolder(tr("wizard.gw.ipaymu.va"))
		member.Show()
		key1.SetPlaceHolder(tr("settings.ipaymu.key"))
		key3.SetText("")
		key3.Hide()
		key2.SetText("")
		key2.Hide()
		ipNote.Show()
	}
}
