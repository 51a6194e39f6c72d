package doku

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// ErrKeyRefused reports that DOKU refused the credentials (HTTP 401 on the
// access token or a call): the client id, the private key whose public
// half is in DOKU's dashboard, or the secret key is wrong.
var ErrKeyRefused = errors.New("doku: key refused by DOKU")

// token returns a B2B access token, asking DOKU for a new one when the last
// is within a minute of its end (DOKU: valid 15 minutes).
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token != "" && c.now().Before(c.tokenEnd.Add(-time.Minute)) {
		return c.token, nil
	}
	if c.keyErr != nil {
		return "", c.keyErr
	}
	ts := c.now().In(wib).Format(snapTimeLayout)
	sig, err := TokenSignature(c.key, c.cfg.ClientID, ts)
	if err != nil {
		return "", err
	}
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "POST " + PathToken, Method: http.MethodPost, Path: PathToken,
		JSON:   map[string]string{"grantType": "client_credentials"},
		Header: map[string]string{"X-CLIENT-KEY": c.cfg.ClientID, "X-TIMESTAMP": ts, "X-SIGNATURE": sig}})
	if err != nil {
		return "", keyRefused(err)
	}
	t, life, err := ParseToken(resp.Body)
	if err != nil {
		return "", err
	}
	c.hc.Redactor().Add(t.AccessToken)
	c.token, c.tokenEnd = t.AccessToken, c.now().Add(life)
	return c.token, nil
}

// keyRefused marks a 401 as ErrKeyRefused, keeping the APIError.
func keyRefused(err error) error {
	var ae *gateways.APIError
	if errors.As(err, &ae) && ae.HTTPStatus == http.StatusUnauthorized {
		return fmt.Errorf("%w: %w", ErrKeyRefused, err)
	}
	return err
}

// snap posts a signed SNAP call. externalID "" means a fresh one.
func (c *Client) snap(ctx context.Context, op, path string, body any, externalID string, once bool) (*gateways.Response, error) {
	tok, err := c.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := marshal(body)
	if err != nil {
		return nil, err
	}
	if externalID == "" {
		externalID = c.requestID()
	}
	ts := c.now().In(wib).Format(snapTimeLayout)
	resp, err := c.hc.Do(ctx, gateways.Call{Op: op, Method: http.MethodPost, Path: path, Body: raw, ContentType: "application/json",
		NoRetry: once, Header: map[string]string{
			"Authorization": "Bearer " + tok, "X-TIMESTAMP": ts, "X-PARTNER-ID": c.cfg.ClientID,
			"X-EXTERNAL-ID": externalID, "CHANNEL-ID": snapChannelID,
			"X-SIGNATURE": SymmetricSignature(http.MethodPost, path, tok, raw, ts, c.cfg.SecretKey),
		}})
	if err != nil {
		var ae *gateways.APIError
		if errors.As(err, &ae) && ae.HTTPStatus == http.StatusUnauthorized {
			c.tokMu.Lock()
			c.token = "" // an expired or refused token: the next call asks again
			c.tokMu.Unlock()
		}
		return resp, keyRefused(err)
	}
	return resp, nil
}

type money struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

func rupiahValue(r domain.Rupiah) money {
	return money{Value: strconv.FormatInt(int64(r), 10) + ".00", Currency: "IDR"}
}

func unknown(refID string, err error) (domain.PayoutResult, error) {
	return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown}, err
}

// bank returns the BI code for a payee's bank code.
func bank(channel string) (string, bool) {
	ch := strings.ToUpper(strings.TrimSpace(channel))
	if len(ch) == 3 && strings.Trim(ch, "0123456789") == "" {
		return ch, true // already a BI code
	}
	code, ok := BankCodes[ch]
	return code, ok
}

type inquiryReq struct {
	PartnerReferenceNo       string `json:"partnerReferenceNo,omitempty"`
	CustomerNumber           string `json:"customerNumber"`
	BeneficiaryAccountNumber string `json:"beneficiaryAccountNumber"`
	BeneficiaryBankCode      string `json:"beneficiaryBankCode"`
	Amount                   *money `json:"amount,omitempty"`
}

// inquire runs the account inquiry Kirim DOKU requires before a transfer.
// A 4xx answer is a definite "this account cannot be paid" (nothing was
// created: an inquiry moves no money).
func (c *Client) inquire(ctx context.Context, refID, channel, account string, amount domain.Rupiah) (Inquiry, *gateways.APIError, error) {
	code, ok := bank(channel)
	if !ok {
		return Inquiry{}, nil, domain.Invalid("channel", "Kirim DOKU does not pay %q here: route it to another channel", channel)
	}
	req := inquiryReq{PartnerReferenceNo: refID, CustomerNumber: c.cfg.CustomerNumber, BeneficiaryAccountNumber: account, BeneficiaryBankCode: code}
	if amount > 0 {
		m := rupiahValue(amount)
		req.Amount = &m
	}
	resp, err := c.snap(ctx, "POST "+PathInquiry, PathInquiry, req, "", false)
	if err != nil {
		var ae *gateways.APIError
		if errors.As(err, &ae) && ae.HTTPStatus >= 400 && ae.HTTPStatus < 500 && ae.HTTPStatus != http.StatusUnauthorized &&
			ae.HTTPStatus != http.StatusTooManyRequests {
			return Inquiry{}, ae, nil
		}
		return Inquiry{}, nil, err
	}
	q, err := ParseInquiry(resp.Body, account)
	return q, nil, err
}

// ValidateAccount implements domain.PayoutChannel with the account
// inquiry: the holder name DOKU reports, or Valid=false for an account DOKU
// refuses.
func (c *Client) ValidateAccount(ctx context.Context, channel, account string) (domain.AccountInfo, error) {
	info := domain.AccountInfo{Channel: channel, AccountNumber: account}
	q, refused, err := c.inquire(ctx, "", channel, account, 0)
	if err != nil || refused != nil {
		return info, err
	}
	info.HolderName, info.Valid = q.BeneficiaryAccountName, true
	return info, nil
}

type transferReq struct {
	PartnerReferenceNo       string `json:"partnerReferenceNo"`
	CustomerNumber           string `json:"customerNumber"`
	BeneficiaryAccountNumber string `json:"beneficiaryAccountNumber"`
	BeneficiaryBankCode      string `json:"beneficiaryBankCode"`
	Amount                   money  `json:"amount"`
	SessionID                string `json:"sessionId"`
	AdditionalInfo           struct {
		BeneficiaryAccountName string `json:"beneficiaryAccountName,omitempty"`
		Remark                 string `json:"remark,omitempty"`
	} `json:"additionalInfo"`
}

// Send transfers under the REFID (partnerReferenceNo; X-EXTERNAL-ID from
// ExternalID). A resend (req.Attempt != 1) asks the status inquiry first
// and returns what DOKU has under the REFID; only "not found" posts again.
// The transfer is posted once per call. Definite answers: a refused account
// inquiry or a documented refusal of the transfer (HTTP 400 field errors,
// 403 insufficient funds) is OutcomeRejected, nothing was created; HTTP 409
// (a duplicate) is resolved by the status inquiry; everything else that is
// not a 2xx leaves the REFID unknown.
func (c *Client) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	if req.RefID == "" || len(req.RefID) > 64 {
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeRejected, Code: "REFID", Reason: "REFID must be 1-64 characters"}, nil
	}
	if req.Amount <= 0 {
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeRejected, Code: "AMOUNT", Reason: "amount must be positive"}, nil
	}
	if req.Attempt != 1 {
		cur, err := c.Status(ctx, req.RefID)
		if err != nil {
			return cur, err
		}
		if cur.Outcome != domain.OutcomeNotFound {
			return c.sameMoney(cur, req)
		}
	}
	code, ok := bank(req.Channel)
	if !ok {
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeRejected, Code: "BANK_NOT_SUPPORTED",
			Reason: "Bank tidak didukung Kirim DOKU (bank not supported by Kirim DOKU): " + req.Channel}, nil
	}
	q, refused, err := c.inquire(ctx, req.RefID, req.Channel, req.AccountNumber, req.Amount)
	if err != nil {
		return unknown(req.RefID, fmt.Errorf("doku: inquiry for %s: %w", req.RefID, err))
	}
	if refused != nil {
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeRejected, Code: refused.Code,
			Reason: refusalReason(refused, "Rekening ditolak DOKU (account refused by DOKU)"), RawStatus: refused.Code}, nil
	}
	body := transferReq{PartnerReferenceNo: req.RefID, CustomerNumber: c.cfg.CustomerNumber, BeneficiaryAccountNumber: req.AccountNumber,
		BeneficiaryBankCode: code, Amount: rupiahValue(req.Amount), SessionID: q.SessionID}
	body.AdditionalInfo.BeneficiaryAccountName = req.AccountHolder
	body.AdditionalInfo.Remark = truncate(req.Description, 50)
	resp, err := c.snap(ctx, "POST "+PathTransfer, PathTransfer, body, ExternalID(req.RefID), true)
	if err != nil {
		return c.sendError(ctx, req, err)
	}
	var b snapBase
	if derr := decodeJSON(resp.Body, &b); derr != nil {
		return unknown(req.RefID, fmt.Errorf("doku: transfer %s: %w", req.RefID, derr))
	}
	res := domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeAccepted, Amount: req.Amount, Code: string(b.ResponseCode),
		RawStatus: string(b.ResponseCode), At: c.now()}
	var ref struct {
		ReferenceNo string `json:"referenceNo"`
	}
	if decodeJSON(resp.Body, &ref) == nil {
		res.GatewayRef = ref.ReferenceNo
	}
	return res, nil
}

// sameMoney returns cur when it is the money asked for, else unknown.
func (c *Client) sameMoney(cur domain.PayoutResult, req domain.PayoutRequest) (domain.PayoutResult, error) {
	if cur.Amount != 0 && cur.Amount != req.Amount {
		cur.Outcome = domain.OutcomeUnknown
		return cur, fmt.Errorf("doku: transfer %s exists with amount %d, sent %d: %w", req.RefID, cur.Amount, req.Amount, gateways.ErrMismatch)
	}
	if cur.Amount == 0 {
		cur.Amount = req.Amount
	}
	return cur, nil
}

// rejections are the SNAP case codes of a transfer refusal that created
// nothing: 4004301 invalid field format, 4004302 invalid mandatory field,
// 4034314 insufficient funds (SNAP response codes, HTTP+service 43+case).
var rejections = map[string]bool{"4004301": true, "4004302": true, "4034314": true}

func (c *Client) sendError(ctx context.Context, req domain.PayoutRequest, err error) (domain.PayoutResult, error) {
	var ae *gateways.APIError
	if !errors.As(err, &ae) {
		return unknown(req.RefID, err)
	}
	switch {
	case ae.HTTPStatus == http.StatusConflict:
		// The REFID (or its external id) was used before: DOKU's record
		// is the answer, as long as it is the same money.
		cur, serr := c.Status(ctx, req.RefID)
		if serr != nil {
			return cur, serr
		}
		if cur.Outcome == domain.OutcomeNotFound {
			return unknown(req.RefID, fmt.Errorf("doku: duplicate reported for %s but no transfer found: %w", req.RefID, gateways.ErrAmbiguous))
		}
		return c.sameMoney(cur, req)
	case rejections[ae.Code]:
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeRejected, Code: ae.Code,
			Reason: refusalReason(ae, "Transfer ditolak DOKU (transfer refused by DOKU)"), RawStatus: ae.Code}, nil
	}
	res, _ := unknown(req.RefID, err)
	res.Code, res.Reason = ae.Code, ae.Message
	return res, err
}

func refusalReason(ae *gateways.APIError, def string) string {
	if ae.Code == "4034314" {
		return "Saldo DOKU tidak cukup (insufficient DOKU balance)"
	}
	if ae.Message != "" {
		return ae.Message + " (" + ae.Code + ")"
	}
	return def
}

// Status asks the Kirim DOKU check status about a REFID
// (originalPartnerReferenceNo, serviceCode 43). SNAP "Transaction Not
// Found" (404xx01) or status "07" is not found; another 404 is unknown.
func (c *Client) Status(ctx context.Context, refID string) (domain.PayoutResult, error) {
	body := map[string]string{"originalPartnerReferenceNo": refID, "serviceCode": transferService}
	resp, err := c.snap(ctx, "POST "+c.cfg.StatusPath, c.cfg.StatusPath, body, "", false)
	if err != nil {
		var ae *gateways.APIError
		if errors.As(err, &ae) && ae.HTTPStatus == http.StatusNotFound && resp != nil {
			return ParseKirimStatus(resp.Body, refID)
		}
		return unknown(refID, err)
	}
	res, err := ParseKirimStatus(resp.Body, refID)
	res.At = c.now()
	return res, err
}

// Balance implements domain.PayoutChannel (SNAP balance inquiry).
func (c *Client) Balance(ctx context.Context) (domain.Rupiah, error) {
	resp, err := c.snap(ctx, "POST "+PathBalance, PathBalance, map[string]any{}, "", false)
	if err != nil {
		return 0, err
	}
	return ParseBalance(resp.Body)
}
