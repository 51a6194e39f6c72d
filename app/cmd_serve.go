package app

func runServe(e *env, args []string) error { return errNotYet }
