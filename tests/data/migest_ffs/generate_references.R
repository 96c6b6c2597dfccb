# Generate reference flow estimates with migest 2.0.x for keruen's flows-from-stocks tests.
#
# migest's own R files are NOT part of keruen: point MIGEST_SRC at a folder holding the
# migest 2.0.x R sources listed in README.md, and MIPFP_LIB at an R library holding mipfp
# (only mipfp::Ipfp is used).  Run from this folder:
#
#   MIGEST_SRC=/tmp/migest-src5/R MIPFP_LIB=/tmp/Rlib5 Rscript generate_references.R
#
# Writes cases.csv, stocks.csv, vitals.csv, flows_demo.csv and flows_diff.csv here.

src <- Sys.getenv("MIGEST_SRC", "/tmp/migest-src5/R")
lib <- Sys.getenv("MIPFP_LIB", "")
if (nzchar(lib)) .libPaths(c(lib, .libPaths()))
for (f in c("ipf2.R", "ipf_seed.R", "rescale_integer_sum.R", "nb_non_zero.R",
            "nb_scale_global.R", "birth_mat.R", "death_mat.R", "match_birthplace_tot.R",
            "ffs_demo.R", "ffs_diff.R")) {
  source(file.path(src, f))
}
stopifnot(requireNamespace("mipfp", quietly = TRUE))

# migest's rescale_integer_sum() breaks rounding residuals with sample(), which is not
# reproducible across languages.  Trap it: a case that needs a random tie-break is skipped.
sample <- function(x, size, ...) {
  if (length(x) == 1 && x == 1 && size == 1) return(1L)
  stop("random tie-break needed")
}

cases <- list(); stocks <- list(); vitals <- list(); demo <- list(); diffs <- list()

add_case <- function(id, s1, s2, b, d, origin, stayer = TRUE, pob = "rescale") {
  if (any(s1 < 0) || any(s2 < 0)) {
    message("skipping ", id, ": negative stock")
    return(FALSE)
  }
  est <- tryCatch(
    ffs_demo(stock_start = s1, stock_end = s2, births = b, deaths = d,
             stayer_assumption = stayer, match_birthplace_tot_method = pob),
    error = function(e) e)
  if (inherits(est, "error")) {
    message("skipping ", id, ": ", conditionMessage(est))
    return(FALSE)
  }
  r <- rownames(s1)
  cases[[id]] <<- data.frame(case = id, n = length(r), stayers = stayer,
                             birthplace_totals = pob, origin = origin)
  g <- expand.grid(birthplace = r, residence = r, stringsAsFactors = FALSE)
  stocks[[id]] <<- rbind(
    data.frame(case = id, time = "start", g, stock = s1[cbind(g$birthplace, g$residence)]),
    data.frame(case = id, time = "end", g, stock = s2[cbind(g$birthplace, g$residence)]))
  vitals[[id]] <<- data.frame(case = id, region = r, births = unname(b[r]),
                              deaths = unname(d[r]))
  a <- expand.grid(orig = r, dest = r, birthplace = r, stringsAsFactors = FALSE)
  demo[[id]] <<- data.frame(case = id, a, flow = est[cbind(a$orig, a$dest, a$birthplace)])
  for (dec in c("zero", "return")) {
    y <- ffs_diff(stock_start = s1, stock_end = s2, decrease = dec)
    o <- expand.grid(orig = r, dest = r, stringsAsFactors = FALSE)
    diffs[[paste(id, dec)]] <<- data.frame(case = id, decrease = dec, o,
                                           flow = y[cbind(o$orig, o$dest)])
  }
  TRUE
}

named <- function(v, r) { m <- matrix(v, length(r), length(r), byrow = TRUE,
                                      dimnames = list(birth = r, dest = r)); m }
r <- LETTERS[1:4]
z <- setNames(rep(0, 4), r)

# --- documented examples of ffs_demo (migest 2.0.x help page) --------------------------
add_case("doc_e0_science",
         named(c(1000, 100, 10, 0, 55, 555, 50, 5, 80, 40, 800, 40, 20, 25, 20, 200), r),
         named(c(950, 100, 60, 0, 80, 505, 75, 5, 90, 30, 800, 40, 40, 45, 0, 180), r),
         z, z, "ffs_demo example e0 (Demographic Research 2013 / Science 2014)")
s1 <- named(0, r); s2 <- named(0, r)
s1[, ] <- c(100, 20, 10, 20, 10, 55, 40, 25, 10, 25, 140, 20, 0, 10, 65, 200)
s2[, ] <- c(70, 25, 10, 40, 30, 60, 55, 45, 10, 10, 140, 0, 10, 15, 50, 180)
add_case("doc_e1_imr", s1, s2, z, z, "ffs_demo example e1 (IMR 2018)")
add_case("doc_e1_imr_independence", s1, s2, z, z, "ffs_demo example e1, stayer_assumption=FALSE",
         stayer = FALSE)
s1[, ] <- c(1000, 55, 80, 20, 100, 555, 40, 25, 10, 50, 800, 20, 0, 5, 40, 200)
s2[, ] <- c(1060, 45, 70, 30, 60, 540, 75, 30, 10, 40, 770, 20, 10, 0, 70, 230)
b <- setNames(c(80, 20, 40, 60), r); d <- setNames(c(70, 30, 50, 10), r)
add_case("doc_e3_open_dr", s1, s2, b, d, "ffs_demo example e3 (births and deaths, open-dr)",
         pob = "open-dr")
add_case("doc_e4_open", s1, s2, b, d, "ffs_demo example e4 (births and deaths, open)",
         pob = "open")
add_case("doc_e3_rescale", s1, s2, b, d, "ffs_demo example e3/e4 data with default rescale")
b[] <- c(80, 20, 60, 60)
add_case("doc_e5_science_supp", s1, s2, b, d, "ffs_demo example e5 (Science supp.)")
s1[, ] <- c(100, 20, 10, 20, 10, 55, 40, 25, 10, 25, 140, 20, 0, 10, 65, 200)
s2[, ] <- c(75, 20, 30, 30, 25, 45, 40, 30, 5, 30, 150, 20, 0, 15, 60, 230)
b[] <- c(10, 50, 25, 60); d[] <- c(30, 10, 40, 10)
add_case("doc_e6_imr_supp", s1, s2, b, d, "ffs_demo example e6 (IMR supp.)")
s1[] <- c(100, 80, 30, 60, 10, 180, 10, 70, 10, 10, 140, 10, 0, 90, 40, 160)
s2[] <- c(95, 75, 55, 35, 5, 225, 0, 25, 15, 5, 115, 25, 5, 55, 50, 215)
add_case("doc_e7_scidata", s1, s2, z, z, "ffs_demo example e7 (Scientific Data 2019)")

# --- seeded random tables, 5 to 15 regions --------------------------------------------
kept <- 0; k <- 0
while (kept < 24) {
  k <- k + 1
  set.seed(1000 + k)
  n <- 5 + (k %% 11)
  rr <- sprintf("R%02d", seq_len(n))
  pop <- round(exp(runif(n, log(2e4), log(2e6))))
  s1 <- matrix(rpois(n * n, lambda = rep(pop, each = n) * runif(n * n, 0, 0.02)), n, n,
               dimnames = list(birth = rr, dest = rr))
  diag(s1) <- pop
  b <- setNames(round(pop * runif(n, 0.05, 0.12)), rr)
  d <- setNames(round(pop * runif(n, 0.03, 0.09)), rr)
  grow <- matrix(runif(n * n, 0.7, 1.4), n, n)
  s2 <- round(s1 * grow); diag(s2) <- round(diag(s1) * runif(n, 0.95, 1.1) + b - d * 0.9)
  dimnames(s2) <- dimnames(s1)
  if (k %% 2 == 0) {   # half the cases: stocks already balance births minus deaths
    s2[1, 1] <- s2[1, 1] + (sum(b - d) - sum(s2 - s1))
  }
  if (add_case(sprintf("random_%02d", k), s1, s2, b, d,
               sprintf("set.seed(%d), n = %d", 1000 + k, n))) kept <- kept + 1
}

w <- function(x, f) write.csv(do.call(rbind, x), f, row.names = FALSE)
options(digits = 15)
w(cases, "cases.csv"); w(stocks, "stocks.csv"); w(vitals, "vitals.csv")
w(demo, "flows_demo.csv"); w(diffs, "flows_diff.csv")
writeLines(c(paste("R", getRversion()), paste("mipfp", utils::packageVersion("mipfp")),
             paste("generated", format(Sys.time(), tz = "UTC", usetz = TRUE))),
           "session.txt")
