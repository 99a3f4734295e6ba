-- markdown — un agenda en français, jour par jour.
--
--   relais export --format markdown -o agenda.md
--   relais export --format markdown --region bretagne --from 2020-11-09 --to 2020-11-15
--
--   # Agenda
--
--   ## mardi 10 novembre 2020
--
--   - 9h30–11h30 — **Gouvernement ouvert : en route vers 2021** (webinaire) · Direction
--     interministérielle de la transformation publique (DITP) · en ligne
--
-- - un titre de niveau 2 par jour, dans l'ordre ;
-- - une puce par créneau : horaire (« Toute la journée », « 9h30–11h30 »), titre en gras,
--   type en français, puis organisateur, lieu (« en ligne », « Bordeaux et en ligne »),
--   région, et un lien [Informations et inscription](url) pour les adresses http(s) et mailto ;
-- - une plage de jours paraît sous son premier jour (« Du 17 au 27 novembre 2020 ») ;
-- - un événement à plusieurs créneaux paraît sous chacun de ses jours (« table ronde,
--   séance 1 sur 2 ») ;
-- - annulé : titre barré et « annulé » ; reporté : « reporté » ;
-- - le texte est échappé pour Markdown (CommonMark / GFM) : * _ [ ] < > ` ~ & \ ne
--   deviennent pas de la mise en forme, les retours à la ligne deviennent des espaces.

local jours = require("relais.jours")

-- Du texte qui reste du texte en Markdown.
local function md(texte)
  texte = texte:gsub("[\r\n]+", " ")
  return (texte:gsub("[\\`*_%[%]<>~&|]", "\\%0"))
end

-- Une adresse de lien : les caractères qui casseraient (…) sont codés en %XX.
local function destination(url)
  return (url:gsub("[%s()<>]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function majuscule(texte)
  return texte:sub(1, 1):upper() .. texte:sub(2)
end

local function ou(evenement)
  local lieu = jours.lieu_physique(evenement)
  if evenement.online then return lieu and (md(lieu) .. " et en ligne") or "en ligne" end
  return lieu and md(lieu) or "lieu à préciser"
end

local function puce(entree)
  local evenement, creneau = entree.evenement, entree.creneau
  local titre = "**" .. md(evenement.title) .. "**"
  if evenement.status == "cancelled" then titre = "~~" .. titre .. "~~" end
  local genre = jours.genres[evenement.kind] or evenement.kind
  if entree.total > 1 then genre = genre .. string.format(", séance %d sur %d", entree.rang, entree.total) end
  if evenement.status == "cancelled" then genre = genre .. ", **annulé**"
  elseif evenement.status == "postponed" then genre = genre .. ", **reporté**" end

  local details = {}
  if evenement.organizer then details[#details + 1] = md(evenement.organizer) end
  details[#details + 1] = ou(evenement)
  if evenement.region then details[#details + 1] = md(relais.regions[evenement.region] or evenement.region) end
  local lien = jours.lien_sur(evenement.url)
  if lien then details[#details + 1] = "[Informations et inscription](" .. destination(lien) .. ")" end

  return string.format("- %s — %s (%s) · %s\n", majuscule(jours.horaire(creneau)), titre, genre,
    table.concat(details, " · "))
end

local file, jour_courant

local function ecrire(entrees)
  local sortie = {}
  for _, entree in ipairs(entrees) do
    if entree.jour ~= jour_courant then
      jour_courant = entree.jour
      sortie[#sortie + 1] = "\n## " .. relais.date.format(entree.jour, "%A %d %B %Y") .. "\n\n"
    end
    sortie[#sortie + 1] = puce(entree)
  end
  return table.concat(sortie)
end

relais.exporter {
  name = "markdown",
  extension = "md",
  mime = "text/markdown",
  description = "Agenda en français, jour par jour (Markdown)",
  header = function()
    file, jour_courant = jours.nouvelle_file(), nil
    return "# Agenda\n"
  end,
  event = function(evenement)
    return ecrire(jours.ajouter(file, evenement))
  end,
  footer = function()
    local reste = ecrire(jours.sortir(file, nil))
    local n = file.nombre
    if n == 0 then return "\nAucun événement.\n" end
    return reste .. string.format("\n---\n\n%d événement%s.\n", n, n > 1 and "s" or "")
  end,
}
