package app

func runDemo(e *env, args []string) error { return errNotYet }
