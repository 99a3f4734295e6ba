-- relais.json-ordonne — un petit écrivain JSON qui garde l'ordre des clés et sait écrire un
-- tableau vide.
--
-- relais.json.encode trie les clés des objets et écrit une table vide comme un objet
-- (`{}`) : c'est du JSON valide, mais un tableau vide de mots-clés deviendrait un objet.
-- Ici on dit ce qu'on veut :
--
--   json.object { { "@type", "Event" }, { "name", titre }, { "url", nil } }  -- paires dans l'ordre ;
--                                                                         -- une valeur nil est omise
--   json.array { a, b }                                                   -- tableau, vide compris
--   json.encode(valeur, indentation)                                      -- texte JSON

-- Module livré avec Relais (require("relais.json-ordonne")), utilisé par les exports
-- schema-org et openagenda.

local json = {}

local OBJET = {}
local TABLEAU = {}

function json.object(paires)
  local gardees = {}
  for _, paire in ipairs(paires or {}) do
    if paire[2] ~= nil then gardees[#gardees + 1] = paire end
  end
  return setmetatable({ paires = gardees }, OBJET)
end
function json.array(liste) return setmetatable({ liste = liste or {} }, TABLEAU) end

-- Ajoute une paire à un objet (ignorée si la valeur est nil).
function json.put(objet, cle, valeur)
  if valeur ~= nil then objet.paires[#objet.paires + 1] = { cle, valeur } end
  return objet
end

-- Ajoute un élément à un tableau.
function json.push(tableau, valeur)
  tableau.liste[#tableau.liste + 1] = valeur
  return tableau
end

function json.is_empty(valeur)
  local mt = getmetatable(valeur)
  if mt == TABLEAU then return #valeur.liste == 0 end
  if mt == OBJET then return #valeur.paires == 0 end
  return false
end

local echappements = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
  ["\r"] = "\\r", ["\t"] = "\\t" }

-- Une chaîne JSON : guillemets et barres obliques inverses échappés, caractères de contrôle
-- en \uXXXX, et « </ » écrit « <\/ » (même texte pour un lecteur JSON, mais le document
-- peut alors être collé tel quel dans une balise <script>). Le reste (UTF-8) passe tel quel.
function json.string(texte)
  local echappe = texte:gsub('[%c"\\]', function(c)
    return echappements[c] or string.format("\\u%04x", c:byte())
  end)
  return '"' .. echappe:gsub("</", "<\\/") .. '"'
end

local function ecrire(valeur, marge, pas, sortie)
  local genre = type(valeur)
  if genre == "string" then
    sortie[#sortie + 1] = json.string(valeur)
  elseif genre == "boolean" then
    sortie[#sortie + 1] = valeur and "true" or "false"
  elseif genre == "number" then
    if math.type(valeur) == "integer" then
      sortie[#sortie + 1] = string.format("%d", valeur)
    elseif valeur ~= valeur or valeur == math.huge or valeur == -math.huge then
      error("json: un nombre JSON ne peut pas être " .. tostring(valeur), 2)
    else
      sortie[#sortie + 1] = string.format("%.14g", valeur)
    end
  elseif genre == "table" then
    local mt = getmetatable(valeur)
    local interieur = pas and (marge .. pas) or ""
    local saut = pas and ("\n" .. interieur) or ""
    local fin = pas and ("\n" .. marge) or ""
    local deux_points = pas and ": " or ":"
    if mt == OBJET then
      if #valeur.paires == 0 then sortie[#sortie + 1] = "{}" return end
      sortie[#sortie + 1] = "{"
      for index, paire in ipairs(valeur.paires) do
        sortie[#sortie + 1] = (index > 1 and "," or "") .. saut .. json.string(paire[1]) .. deux_points
        ecrire(paire[2], interieur, pas, sortie)
      end
      sortie[#sortie + 1] = fin .. "}"
    elseif mt == TABLEAU then
      if #valeur.liste == 0 then sortie[#sortie + 1] = "[]" return end
      sortie[#sortie + 1] = "["
      for index, element in ipairs(valeur.liste) do
        sortie[#sortie + 1] = (index > 1 and "," or "") .. saut
        ecrire(element, interieur, pas, sortie)
      end
      sortie[#sortie + 1] = fin .. "]"
    else
      error("json: utilisez json.object ou json.array pour écrire une table", 2)
    end
  else
    error("json: impossible d'écrire une valeur de type " .. genre, 2)
  end
end

-- Le texte JSON de `valeur`. `pas` (par exemple "  ") met une valeur par ligne, indentée ;
-- `marge` est l'indentation de départ (pour écrire un élément dans un tableau déjà ouvert).
function json.encode(valeur, pas, marge)
  local sortie = {}
  ecrire(valeur, marge or "", pas, sortie)
  return table.concat(sortie)
end

return json
