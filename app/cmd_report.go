package app

func runExport(e *env, args []string) error { return errNotYet }

func runImport(e *env, args []string) error { return errNotYet }

func runReconcile(e *env, args []string) error { return errNotYet }
