-- csv-lua — le format CSV du contrat (§1), écrit en Lua.
--
-- Il doit produire exactement les octets de l'export intégré `csv` :
--
--   relais export --format csv     -o a.csv
--   relais export --format csv-lua -o b.csv
--   cmp a.csv b.csv
--
-- Règles (celles de CSVWriter) :
-- - l'en-tête id,title,kind,status,start,end,region,online,lab,organizer,place,url,contact,
--   audience,tags,description ;
-- - une ligne par créneau ; les autres colonnes se répètent sur chaque ligne de l'événement ;
-- - les heures telles que l'événement les donne (2020-11-17, 2020-11-10T09:30:00+01:00),
--   `end` vide si le créneau n'a pas de fin ;
-- - region : le code INSEE (vide si national) ; online : true ou false ;
-- - audience et tags joints par « ; » ;
-- - RFC 4180 : une cellule est entre guillemets si elle contient « , », « " », CR ou LF,
--   et ses guillemets sont doublés ;
-- - fins de ligne CRLF, pas de BOM.

local COLONNES = "id,title,kind,status,start,end,region,online,lab,organizer,place,url,contact,audience,tags,description"

local function cellule(texte)
  if texte == nil then return "" end
  if texte:find('[,"\r\n]') then
    return '"' .. texte:gsub('"', '""') .. '"'
  end
  return texte
end

relais.exporter {
  name = "csv-lua",
  extension = "csv",
  mime = "text/csv",
  description = "CSV écrit en Lua, octet pour octet comme le format csv intégré",
  header = function()
    return COLONNES .. "\r\n"
  end,
  event = function(evenement)
    local avant = table.concat({
      cellule(evenement.id), cellule(evenement.title), cellule(evenement.kind), cellule(evenement.status),
    }, ",")
    local apres = table.concat({
      cellule(evenement.region),
      evenement.online and "true" or "false",
      cellule(evenement.lab),
      cellule(evenement.organizer),
      cellule(evenement.place),
      cellule(evenement.url),
      cellule(evenement.contact),
      cellule(table.concat(evenement.audience, ";")),
      cellule(table.concat(evenement.tags, ";")),
      cellule(evenement.description),
    }, ",")
    local lignes = {}
    for _, creneau in ipairs(evenement.slots) do
      lignes[#lignes + 1] = avant .. "," .. cellule(creneau.start) .. "," .. cellule(creneau["end"]) .. "," .. apres .. "\r\n"
    end
    return table.concat(lignes)
  end,
}
