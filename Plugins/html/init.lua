-- html — une page d'agenda HTML5 autonome.
--
--   relais export --format html -o agenda.html
--
-- - <html lang="fr">, <meta charset="utf-8">, un <main>, un <h1>, puis une <section> par jour
--   avec son <h2> (« mardi 10 novembre 2020 ») et un <article> par créneau avec son <h3> :
--   la page se parcourt au clavier et au lecteur d'écran par les titres ;
-- - les dates et les heures sont dans des éléments <time datetime="…"> (2020-11-10,
--   2020-11-10T09:30:00+01:00) ;
-- - les détails (type, organisateur, lieu, région, public, contact) dans une liste <dl> ;
-- - tout texte est échappé (& < > " ') ; les liens ne sont faits que pour les adresses
--   http, https et mailto ;
-- - aucune ressource externe (ni police, ni script, ni image) ; un peu de CSS en ligne, mais
--   la page se lit aussi bien sans ;
-- - un événement annulé : « Annulé : » dans son titre, et le titre barré (<del>) ;
--   reporté : « Reporté : » ;
-- - une plage de jours paraît sous son premier jour ; un événement à plusieurs créneaux
--   paraît sous chacun de ses jours (« séance 1 sur 2 »).

local jours = require("relais.jours")

local ENTITES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

-- Texte ou valeur d'attribut, échappé.
local function h(texte)
  return (tostring(texte):gsub("[&<>\"']", ENTITES))
end

-- Texte sur plusieurs lignes : un paragraphe par bloc séparé de lignes vides, <br> ailleurs.
local function paragraphes(texte)
  texte = texte:gsub("\r\n?", "\n")
  local sortie = {}
  for bloc in (texte .. "\n\n"):gmatch("(.-)\n%s*\n") do
    if bloc:match("%S") then sortie[#sortie + 1] = "<p>" .. h(bloc):gsub("\n", "<br>\n") .. "</p>" end
  end
  return table.concat(sortie, "\n")
end

local STYLE = [[
body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 0 auto; max-width: 48rem; padding: 1rem; color: #1e1e1e; background: #fff; }
h2 { border-bottom: 2px solid #000091; margin-top: 2.5rem; }
article { border-left: 4px solid #dddddd; padding-left: 1rem; margin: 1.5rem 0; }
article.annule h3 del { color: #6b6b6b; }
.statut { font-weight: bold; color: #b34000; }
.quand { font-weight: bold; margin: 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 1rem; margin: 0.5rem 0; }
dt { font-weight: bold; }
dd { margin: 0; }
a { color: #000091; }
a:focus { outline: 3px solid #0a76f6; outline-offset: 2px; }
]]

local function temps(valeur, texte)
  return string.format('<time datetime="%s">%s</time>', h(valeur), h(texte))
end

-- L'horaire d'un créneau, avec ses éléments <time>.
local function quand(creneau)
  local debut, fin = creneau.start, creneau["end"]
  if fin == nil or fin:sub(1, 10) == debut:sub(1, 10) then
    if #debut == 10 then return "Toute la journée" end
    local texte = temps(debut, relais.date.format(debut, "%h"))
    if fin and fin ~= debut and #fin > 10 then texte = texte .. "–" .. temps(fin, relais.date.format(fin, "%h")) end
    return texte
  end
  local motif_debut = #debut == 10 and "%A %d %B %Y" or "%A %d %B %Y, %h"
  local motif_fin = #fin == 10 and "%A %d %B %Y" or "%A %d %B %Y, %h"
  return "Du " .. temps(debut, relais.date.format(debut, motif_debut)) .. " au "
    .. temps(fin, relais.date.format(fin, motif_fin))
end

local PUBLICS = {
  agents = "agents", public = "grand public", elected = "élus", press = "presse", partners = "partenaires",
  entrepreneurs = "entrepreneurs", associations = "associations",
}

local function ou(evenement)
  local lieu = jours.lieu_physique(evenement)
  if evenement.online then return lieu and (h(lieu) .. " et en ligne") or "En ligne" end
  return lieu and h(lieu) or "À préciser"
end

local function article(entree)
  local evenement, creneau = entree.evenement, entree.creneau
  local classe, statut = "", ""
  local titre = h(evenement.title)
  if evenement.status == "cancelled" then
    classe, statut, titre = ' class="annule"', '<span class="statut">Annulé :</span> ', "<del>" .. titre .. "</del>"
  elseif evenement.status == "postponed" then
    classe, statut = ' class="reporte"', '<span class="statut">Reporté :</span> '
  end
  local seance = ""
  if entree.total > 1 then seance = string.format(" <small>(séance %d sur %d)</small>", entree.rang, entree.total) end

  local lignes = {
    "<article" .. classe .. ">",
    "<h3>" .. statut .. titre .. seance .. "</h3>",
    '<p class="quand">' .. quand(creneau) .. "</p>",
    "<dl>",
    "<dt>Type</dt><dd>" .. h(jours.genres[evenement.kind] or evenement.kind) .. "</dd>",
  }
  if evenement.organizer then lignes[#lignes + 1] = "<dt>Organisé par</dt><dd>" .. h(evenement.organizer) .. "</dd>" end
  lignes[#lignes + 1] = "<dt>Lieu</dt><dd>" .. ou(evenement) .. "</dd>"
  lignes[#lignes + 1] = "<dt>Région</dt><dd>"
    .. (evenement.region and h(relais.regions[evenement.region] or evenement.region) or "National") .. "</dd>"
  if #evenement.audience > 0 then
    local publics = {}
    for _, public in ipairs(evenement.audience) do publics[#publics + 1] = h(PUBLICS[public] or public) end
    lignes[#lignes + 1] = "<dt>Public</dt><dd>" .. table.concat(publics, ", ") .. "</dd>"
  end
  if evenement.contact then lignes[#lignes + 1] = "<dt>Contact</dt><dd>" .. h(evenement.contact) .. "</dd>" end
  lignes[#lignes + 1] = "</dl>"
  if evenement.description then lignes[#lignes + 1] = paragraphes(evenement.description) end
  local lien = jours.lien_sur(evenement.url)
  if lien then
    lignes[#lignes + 1] = string.format(
      '<p><a href="%s">Informations et inscription<span class="sr"> : %s</span></a></p>', h(lien), h(evenement.title))
  elseif evenement.url then
    lignes[#lignes + 1] = "<p>Adresse : " .. h(evenement.url) .. "</p>"
  end
  lignes[#lignes + 1] = "</article>\n"
  return table.concat(lignes, "\n")
end

local file, jour_courant, sections

local function ecrire(entrees)
  local sortie = {}
  for _, entree in ipairs(entrees) do
    if entree.jour ~= jour_courant then
      if jour_courant then sortie[#sortie + 1] = "</section>\n" end
      jour_courant = entree.jour
      sections = sections + 1
      local id = "jour-" .. entree.jour
      sortie[#sortie + 1] = string.format('<section aria-labelledby="%s">\n<h2 id="%s">%s</h2>\n', id, id,
        temps(entree.jour, relais.date.format(entree.jour, "%A %d %B %Y")))
    end
    sortie[#sortie + 1] = article(entree)
  end
  return table.concat(sortie)
end

relais.exporter {
  name = "html",
  extension = "html",
  mime = "text/html",
  description = "Page HTML5 autonome et accessible, jour par jour",
  header = function()
    file, jour_courant, sections = jours.nouvelle_file(), nil, 0
    return table.concat({
      "<!DOCTYPE html>",
      '<html lang="fr">',
      "<head>",
      '<meta charset="utf-8">',
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      "<title>Agenda</title>",
      "<style>",
      STYLE .. ".sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
      "</style>",
      "</head>",
      "<body>",
      "<main>",
      "<h1>Agenda</h1>",
      "",
    }, "\n")
  end,
  event = function(evenement)
    return ecrire(jours.ajouter(file, evenement))
  end,
  footer = function()
    local sortie = { ecrire(jours.sortir(file, nil)) }
    if jour_courant then sortie[#sortie + 1] = "</section>\n" end
    local n = file.nombre
    if n == 0 then
      sortie[#sortie + 1] = "<p>Aucun événement.</p>\n"
    end
    sortie[#sortie + 1] = "</main>\n"
    if n > 0 then
      sortie[#sortie + 1] = string.format("<footer>\n<p>%d événement%s.</p>\n</footer>\n", n, n > 1 and "s" or "")
    end
    sortie[#sortie + 1] = "</body>\n</html>\n"
    return table.concat(sortie)
  end,
}
