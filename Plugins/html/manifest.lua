return {
  name = "Export HTML (page d'agenda accessible)",
  version = "1.0.0",
  description = "Export html : une page HTML5 autonome et accessible, en français, jour par jour "
    .. "(titres par jour, éléments <time>, aucune ressource externe, lisible sans CSS).",
  limits = { instructions = 50000000, memory = 32 * 1024 * 1024 },
}
