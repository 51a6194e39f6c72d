package sandbox

import "net/http"

// mountMidtrans registers the Snap, Core API and Iris endpoints.
// Owned by gateways B; see the package doc for the extension points.
func (s *Server) mountMidtrans(mux *http.ServeMux) {}
