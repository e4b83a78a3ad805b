"""Integration: entity resolution over formatted tables into the exploitation zone.

`entities` runs each declared entity (read its sources, link, cluster, write);
`linkage` is the splink model; `survivorship` builds the golden record in SQL;
`synthetic` makes customer records with a known truth to measure the linkage.
"""
