package app

func runAudit(e *env, args []string) error { return errNotYet }
