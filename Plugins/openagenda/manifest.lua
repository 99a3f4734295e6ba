return {
  name = "Export OpenAgenda (JSON)",
  version = "1.0.0",
  description = "Export openagenda : les événements dans la structure d'événement de l'API v2 "
    .. "d'OpenAgenda (titre et descriptions multilingues, horaires complets avec décalage, état, "
    .. "mode de participation), pour les verser dans un agenda OpenAgenda.",
  limits = { instructions = 50000000, memory = 32 * 1024 * 1024 },
}
