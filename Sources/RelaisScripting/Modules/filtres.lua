-- relais.filtres — outils partagés par les filtres des labs :
--   local filtres = require("relais.filtres")
--
-- Module livré avec Relais : il n'utilise que l'API publique `relais`, dans le bac à sable
-- du plugin qui le charge. Les comparaisons se font sur du texte « replié » par
-- relais.text.fold : sans casse, sans accents, œ → oe, apostrophes typographiques → '.
-- Ainsi « Numérique », « numerique » et « NUMÉRIQUES » se comparent de la même façon.

local fold = relais.text.fold

local commun = {}

-- Les mots d'un texte replié : suites de lettres et de chiffres, de tout alphabet
-- (« sciences comportementales » → { "sciences", "comportementales" }), découpés comme
-- le fait `relais query --text`.
local mots = relais.text.words
commun.mots = mots

-- Prépare une liste de mots-clés (« design », « sciences comportementales », …) : chaque
-- mot-clé devient la suite de ses mots repliés. À appeler une fois, au chargement.
-- `exact` : les mots doivent être égaux ; sinon un mot-clé trouve les mots qui commencent
-- par lui (« numerique » trouve « numériques »), comme `relais query --text`.
function commun.mots_cles(liste, exact)
  local prepares = { exact = exact or false }
  for _, texte in ipairs(liste) do prepares[#prepares + 1] = mots(texte) end
  return prepares
end

-- Vrai si la suite de mots `cle` apparaît d'un seul tenant dans `liste`.
local function contient(liste, cle, exact)
  for debut = 1, #liste - #cle + 1 do
    local trouve = true
    for j = 1, #cle do
      local mot = liste[debut + j - 1]
      if exact then
        if mot ~= cle[j] then trouve = false break end
      elseif mot:sub(1, #cle[j]) ~= cle[j] then
        trouve = false
        break
      end
    end
    if trouve then return true end
  end
  return false
end

-- Vrai si le texte contient l'un des mots-clés préparés.
function commun.texte_contient(texte, cles)
  if texte == nil or texte == "" then return false end
  local liste = mots(texte)
  for _, cle in ipairs(cles) do
    if #cle > 0 and contient(liste, cle, cles.exact) then return true end
  end
  return false
end

-- Vrai si l'un des tags de l'événement contient l'un des mots-clés.
function commun.a_un_tag(evenement, cles)
  for _, tag in ipairs(evenement.tags) do
    if commun.texte_contient(tag, cles) then return true end
  end
  return false
end

-- Vrai si l'un des tags est exactement l'un des noms donnés (repliés : « Culture » est
-- « culture », mais « culture de l'innovation » ne l'est pas).
function commun.tag_est(evenement, noms)
  local ensemble = {}
  for _, nom in ipairs(noms) do ensemble[fold(nom)] = true end
  for _, tag in ipairs(evenement.tags) do
    if ensemble[fold(tag)] then return true end
  end
  return false
end

-- Vrai si les tags, le titre ou la description parlent de l'un des mots-clés.
function commun.parle_de(evenement, cles)
  return commun.a_un_tag(evenement, cles)
    or commun.texte_contient(evenement.title, cles)
    or commun.texte_contient(evenement.description, cles)
end

-- Les publics, repliés, tels qu'on les trouve dans les catalogues.
local publics = {
  agents = { ["agents"] = true, ["agent"] = true, ["agents publics"] = true, ["fonctionnaires"] = true,
    ["managers"] = true },
  public = { ["public"] = true, ["grand public"] = true, ["citoyens"] = true, ["usagers"] = true,
    ["habitants"] = true },
}

-- Vrai si le public de l'événement compte l'un des publics du groupe `groupe` : « agents »
-- et « public » regroupent leurs synonymes ; tout autre nom (« elected », « press »,
-- « entrepreneurs »…) est comparé tel quel, replié.
function commun.public_vise(evenement, groupe)
  local noms = publics[groupe] or { [fold(groupe)] = true }
  for _, public in ipairs(evenement.audience) do
    if noms[fold(public)] then return true end
  end
  return false
end

-- Pour les agents : le public compte des agents, ou le public n'est pas précisé.
function commun.pour_agents(evenement)
  return #evenement.audience == 0 or commun.public_vise(evenement, "agents")
end

-- Ouvert au grand public (public, citoyens, usagers…).
function commun.pour_public(evenement)
  return commun.public_vise(evenement, "public")
end

local lieux_virtuels = commun.mots_cles({ "en ligne", "online", "visioconference", "distanciel", "webinaire" })

-- Vrai si `place` désigne un lieu physique (et pas « En ligne »).
function commun.lieu_physique(evenement)
  local lieu = evenement.place
  if lieu == nil or lieu:match("^%s*$") then return false end
  return not commun.texte_contient(lieu, lieux_virtuels)
end

return commun
