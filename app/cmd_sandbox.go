package app

func runSandbox(e *env, args []string) error { return errNotYet }
