return {
  name = "CSV écrit en Lua (contrôle du format csv intégré)",
  version = "1.0.0",
  description = "Export csv-lua : les mêmes octets que l'export csv intégré, écrits en Lua. "
    .. "Sert à vérifier que les exportateurs Lua et Swift voient les événements de la même façon.",
  limits = { instructions = 10000000, memory = 16 * 1024 * 1024 },
}
