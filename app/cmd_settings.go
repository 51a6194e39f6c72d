package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"lunas/domain"
)

// runSettings is `lunas settings get [KEY]` and `lunas settings set KEY
// VALUE`: the shop's plain settings from the terminal, as LUNAS_USER signed
// in with LUNAS_PASSWORD. Anyone signed in may read; only an owner may
// change, each change audited with the person's name and the new value
// (the AML thresholds as the whole risk configuration). Values are checked
// before anything is written (parseSettingValue).
func runSettings(e *env, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	ctx := context.Background()
	switch args[0] {
	case "get":
		if len(args) > 2 {
			return errUsage
		}
		if len(args) == 2 {
			if _, ok := settingSpecs[args[1]]; !ok {
				return &UnknownSettingError{Key: args[1]}
			}
		}
		sh, err := unlockShop(ctx, e, true)
		if err != nil {
			return err
		}
		defer sh.Close()
		if len(args) == 2 {
			v, err := getSetting(ctx, sh, args[1])
			if err != nil {
				return err
			}
			fmt.Fprintln(e.Stdout, v)
			return nil
		}
		for _, k := range settingKeys() {
			v, err := getSetting(ctx, sh, k)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "%-32s %-20s %s\n", k, v, settingSpecs[k].Help)
		}
		return nil
	case "set":
		if len(args) != 3 {
			return errUsage
		}
		key := args[1]
		value, err := parseSettingValue(key, args[2])
		if err != nil {
			return err
		}
		sh, err := unlockShop(ctx, e, true)
		if err != nil {
			return err
		}
		defer sh.Close()
		if err := setSetting(ctx, sh, key, value); err != nil {
			return err
		}
		v, err := getSetting(ctx, sh, key)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "%s = %s\n", key, v)
		return nil
	}
	return errUsage
}

// errSettingsOwnerOnly: only an owner changes settings.
var errSettingsOwnerOnly = errors.New("hanya pemilik yang dapat mengubah pengaturan (LUNAS_USER) / only an owner can change settings (LUNAS_USER)")

// getSetting reads one known setting as people read it ("" when unset);
// aml.* keys come from the risk configuration with its defaults.
func getSetting(ctx context.Context, sh *shop, key string) (string, error) {
	spec, ok := settingSpecs[key]
	if !ok {
		return "", &UnknownSettingError{Key: key}
	}
	if err := sh.Actor.Can(domain.PermView); err != nil {
		return "", err
	}
	if spec.get != nil {
		cfg, err := sh.Sec.GetRiskConfig(ctx, sh.Actor)
		if err != nil {
			return "", err
		}
		return spec.get(cfg), nil
	}
	return showSetting(key, settingOf(ctx, sh.DB, key)), nil
}

// setSetting stores a value parseSettingValue returned, as the signed-in
// owner, through the security service (permission check and audit entry).
func setSetting(ctx context.Context, sh *shop, key, value string) error {
	if err := sh.Actor.Can(domain.PermChangeSettings); err != nil || sh.Actor.Role != domain.RoleOwner {
		return fmt.Errorf("%w: %w", errSettingsOwnerOnly, &domain.PermissionError{Actor: sh.Actor.Name, Role: sh.Actor.Role, Perm: domain.PermChangeSettings})
	}
	spec := settingSpecs[key]
	if spec.set != nil {
		cfg, err := sh.Sec.GetRiskConfig(ctx, sh.Actor)
		if err != nil {
			return err
		}
		spec.set(&cfg, value)
		return sh.Sec.SetRiskConfig(ctx, sh.Actor, cfg)
	}
	if strings.HasPrefix(key, "gateway.") {
		if err := sh.Actor.Can(domain.PermManageKeys); err != nil {
			return err
		}
	}
	return sh.Sec.SaveSetting(ctx, sh.Actor, key, value)
}
