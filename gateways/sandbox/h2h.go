package sandbox

import "net/http"

// mountH2H registers the OtomaX-style H2H supplier endpoints.
// Owned by gateways B; see the package doc for the extension points.
func (s *Server) mountH2H(mux *http.ServeMux) {}
