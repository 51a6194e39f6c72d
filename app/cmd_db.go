package app

func runDB(e *env, args []string) error { return errNotYet }
