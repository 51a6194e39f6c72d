package h2h_test

import (
	"encoding/json"
	"fmt"

	"lunas/gateways/h2h"
)

// A supplier configured for the text transport with its own product codes
// and one extra success word. Empty templates and patterns take the OtomaX
// defaults; PIN and password are stored encrypted by the settings layer.
func ExampleConfig() {
	cfg := h2h.Config{
		Name:         "pulsamurah",
		BaseURL:      "http://10.1.2.3:6969/",
		Transport:    h2h.TransportText,
		TextPath:     "msg",
		MemberID:     "LUNAS01",
		SendTemplate: h2h.DefaultTextSend,
		Products:     map[string]string{"GOPAY": "GPY", "OVO": "OVO"},
		SuccessWords: []string{"BERES"},
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	fmt.Println(string(b))
	// Output:
	// {
	//   "name": "pulsamurah",
	//   "base_url": "http://10.1.2.3:6969/",
	//   "transport": "text",
	//   "text_path": "msg",
	//   "member_id": "LUNAS01",
	//   "send_template": "[product].[dest].[qty].[pin].R#[refid]",
	//   "products": {
	//     "GOPAY": "GPY",
	//     "OVO": "OVO"
	//   },
	//   "success_words": [
	//     "BERES"
	//   ]
	// }
}
