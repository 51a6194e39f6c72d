package ui

import (
	"testing"

	"lunas/domain"
)

// Only the tab on screen loads: the others run no query until shown, also
// though sizing their tables at construction asks for their lengths.
func TestHiddenTabsLoadNothingUntilShown(t *testing.T) {
	env := newTestEnv(t, false)
	u := newTestUI(t, env.services(), domain.RoleOwner)
	u.Navigate(ScreenTransfers)
	waitIdle(u)
	s := u.screens[ScreenTransfers].(*transfersScreen)
	loaded := func(tab string) bool {
		p := s.tables[tab].pager
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.counted || len(p.pages) > 0 || len(p.loading) > 0
	}
	if !loaded(transferTabs[0]) {
		t.Fatalf("the tab on screen (%s) loaded nothing", transferTabs[0])
	}
	for _, tab := range transferTabs[1:] {
		if loaded(tab) {
			t.Errorf("hidden tab %s loaded before it was shown", tab)
		}
	}
	s.selectTab(tabHistory)
	waitIdle(u)
	if !loaded(tabHistory) {
		t.Error("history loaded nothing when shown")
	}
	if loaded(tabProgress) {
		t.Error("in progress loaded when history was shown")
	}
}
