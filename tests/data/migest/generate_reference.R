# Generate reference values of migest's bilateral migration indices for keruen's tests.
#
# Usage (from the repository root):
#   MIGEST_SRC=/tmp/migest-src Rscript tests/data/migest/generate_reference.R
#
# MIGEST_SRC must hold migest 2.0.x's R sources (sub-folder migest/) and those of the
# migration.indices functions migest calls (sub-folder migration.indices/); see README.md for
# where they were read. They are sourced, not installed: the `migration.indices::` prefixes
# are stripped so the sourced functions are found in the global environment.
# All data made here are SYNTHETIC (seeded), except the documented example matrices of
# migest (sum_turnover/sum_region example) and migration.indices (Plane & Mulligan 1997).

suppressPackageStartupMessages({
  library(dplyr)
  library(tidyr)
  library(tibble)
  library(magrittr)
})

src <- Sys.getenv("MIGEST_SRC", "/tmp/migest-src")
out_dir <- file.path("tests", "data", "migest")
stopifnot(dir.exists(src), dir.exists(out_dir))

for (f in c(list.files(file.path(src, "migration.indices"), "\\.R$", full.names = TRUE),
            list.files(file.path(src, "migest"), "\\.R$", full.names = TRUE))) {
  code <- gsub("migration.indices::", "", readLines(f), fixed = TRUE)
  eval(parse(text = code), envir = globalenv())
}

labels_for <- function(n) sprintf("R%02d", seq_len(n))

make_case <- function(n) {
  # Regions scattered on a 1500 km square; distances (km) strictly positive between regions.
  pop <- round(runif(n, 2e5, 5e6))
  xy <- matrix(runif(2 * n, 0, 1500), n, 2)
  d <- as.matrix(dist(xy)) + 5
  # Gamma-mixed Poisson flows decaying with distance: skewed like real systems, a few zero
  # flows, no empty margins.
  repeat {
    lambda <- matrix(rgamma(n * n, shape = 0.8, scale = 150), n, n) * (d / 500)^-1
    m <- matrix(rpois(n * n, lambda), n, n)
    diag(m) <- 0
    if (all(rowSums(m) > 0) && all(colSums(m) > 0)) break
  }
  list(m = m, pop = pop, d = d)
}

set.seed(20260328)
cases <- list()
sizes <- c(4, 5, 6, 7, 8, 10, 12, 15, 18, 20)
for (k in seq_along(sizes)) {
  cases[[sprintf("synthetic_%02d_n%02d", k, sizes[k])]] <- make_case(sizes[k])
}
# migest's documented 4-region example (sum_turnover / sum_region help page); populations and
# distances for it are synthetic (seeded).
ex <- matrix(c(0, 100, 30, 70, 50, 0, 45, 5, 60, 35, 0, 40, 20, 25, 20, 0),
             nrow = 4, ncol = 4, byrow = TRUE)
set.seed(4)
cases[["migest_example_n04"]] <- list(
  m = ex, pop = round(runif(4, 2e5, 5e6)),
  d = as.matrix(dist(matrix(runif(8, 0, 1500), 4, 2))) + 5
)
# Plane & Mulligan (1997) hypothetical 3-region systems, as shipped in migration.indices.
set.seed(3)
cases[["plane_mulligan_hyp_n03"]] <- list(
  m = matrix(c(0, 20, 30, 10, 0, 30, 10, 20, 0), 3, 3), pop = round(runif(3, 2e5, 5e6)),
  d = as.matrix(dist(matrix(runif(6, 0, 1500), 3, 2))) + 5
)
cases[["plane_mulligan_hyp2_n03"]] <- list(
  m = matrix(c(0, 30, 20, 20, 0, 20, 20, 50, 0), 3, 3), pop = round(runif(3, 2e5, 5e6)),
  d = as.matrix(dist(matrix(runif(6, 0, 1500), 3, 2))) + 5
)

long <- function(mat, value) {
  r <- rownames(mat)
  g <- expand.grid(dest = r, orig = r, stringsAsFactors = FALSE)[, c("orig", "dest")]
  g[[value]] <- mat[cbind(match(g$orig, r), match(g$dest, r))]
  g[g$orig != g$dest, ]
}

case_dir <- file.path(out_dir, "cases")
dir.create(case_dir, showWarnings = FALSE)
rows <- list()
for (id in names(cases)) {
  cs <- cases[[id]]
  n <- nrow(cs$m)
  r <- labels_for(n)
  m <- cs$m; dimnames(m) <- list(orig = r, dest = r)
  d <- cs$d; dimnames(d) <- list(orig = r, dest = r)
  p <- tibble(region = r, pop = cs$pop)

  write.csv(long(m, "flow"), file.path(case_dir, paste0(id, "_flows.csv")), row.names = FALSE)
  write.csv(p, file.path(case_dir, paste0(id, "_pop.csv")), row.names = FALSE)
  write.csv(long(d, "dist"), file.path(case_dir, paste0(id, "_dist.csv")), row.names = FALSE)

  imp <- index_impact(m = m, p = p, long = FALSE)
  con <- index_connectivity(m = m, long = TRUE)
  con <- setNames(con$value, con$name)
  ins <- index_intensity(mig_total = sum(m), pop_total = sum(cs$pop), n = n, long = FALSE)
  dis <- index_distance(m = m, d = d, long = FALSE)
  # Flow-weighted median as the median of one distance per migrant (integer flows): an
  # independent computation of keruen's definition of the median migration distance.
  off <- row(m) != col(m)
  med_expanded <- median(rep(d[off], times = m[off]))

  vals <- c(
    effectiveness = imp$effectivness, anmr = imp$anmr,
    preference = imp$preference, velocity = imp$velocity,
    con[c("connectivity", "inequality_equal", "inequality_sim", "gini_total",
          "gini_orig_standardized", "gini_dest_standardized", "acv")],
    mwg_orig_migest = con[["mwg_orig"]], mwg_dest_migest = con[["mwg_dest"]],
    mwg_mean_migest = con[["mwg_mean"]],
    cmp = ins$cmp, courgeau_k = ins$courgeau_k,
    distance_mean = dis$mean, distance_median_migest = dis$median,
    distance_median_expanded = med_expanded, distance_decay = unname(dis$decay)
  )
  rows[[id]] <- tibble(case = id, n = n, measure = names(vals), value = unname(vals))
}
ref <- bind_rows(rows)
ref$value <- sprintf("%.17g", ref$value)
write.csv(ref, file.path(out_dir, "reference.csv"), row.names = FALSE, quote = FALSE)
cat("wrote", nrow(ref), "reference values for", length(cases), "cases with",
    R.version.string, "\n")
