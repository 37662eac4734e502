"use client";
import Link from "next/link";
import { buttonClass } from "@/components/ui/button";
import { ChartIcon, SparkIcon, UploadIcon } from "@/components/ui/icons";
import { useMe } from "@/features/auth/hooks/use-me";
import { useT } from "@/lib/i18n";

export function HomePage() {
  const t = useT();
  const me = useMe();
  const signedIn = Boolean(me.data);
  const sample = "/workspace?sample=diabetes";
  const steps = [
    { icon: <UploadIcon className="size-5" />, title: t("home.step1"), body: t("home.step1Body") },
    { icon: <SparkIcon className="size-5" />, title: t("home.step2"), body: t("home.step2Body") },
    { icon: <ChartIcon className="size-5" />, title: t("home.step3"), body: t("home.step3Body") },
  ];
  return (
    <div>
      <section className="border-b border-slate-200 bg-gradient-to-b from-indigo-50/70 to-white">
        <div className="mx-auto grid max-w-6xl items-center gap-12 px-4 py-16 sm:px-6 sm:py-24 lg:grid-cols-[1.1fr_1fr]">
          <div>
          <p className="text-sm font-semibold text-indigo-600">{t("home.eyebrow")}</p>
          <h1 className="mt-3 max-w-3xl text-4xl font-semibold tracking-tight text-slate-900 sm:text-5xl" data-testid="home-title">
            {t("home.title")}
          </h1>
          <p className="mt-5 max-w-2xl text-lg leading-relaxed text-slate-600">{t("home.lead")}</p>
          <div className="mt-8 flex flex-wrap gap-3">
            <Link href={signedIn ? sample : `/signup?next=${encodeURIComponent(sample)}`} className={buttonClass("primary", "lg")} data-testid="try-sample">
              {t("home.trySample")}
            </Link>
            <Link href={signedIn ? "/workspace" : "/signup"} className={buttonClass("secondary", "lg")}>
              {t(signedIn ? "home.openWorkspace" : "home.createAccount")}
            </Link>
          </div>
          </div>
          <NotebookPreview />
        </div>
      </section>
      <section className="mx-auto max-w-6xl px-4 py-14 sm:px-6">
        <h2 className="text-sm font-semibold tracking-wide text-slate-500 uppercase">{t("home.howItWorks")}</h2>
        <ol className="mt-6 grid gap-6 md:grid-cols-3">
          {steps.map((s, i) => (
            <li key={i} className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
              <div className="flex items-center gap-3">
                <span className="grid size-9 place-items-center rounded-lg bg-indigo-600 text-white">{s.icon}</span>
                <span className="text-xs font-semibold text-slate-400">0{i + 1}</span>
              </div>
              <h3 className="mt-4 font-semibold text-slate-900">{s.title}</h3>
              <p className="mt-1.5 text-sm leading-relaxed text-slate-600">{s.body}</p>
            </li>
          ))}
        </ol>
        <p className="mt-10 max-w-3xl text-sm text-slate-500">{t("home.safety")}</p>
      </section>
    </div>
  );
}

/** A still picture of a workspace, drawn with markup (no image to fetch). */
function NotebookPreview() {
  const t = useT();
  const bars = [38, 62, 48, 80, 55, 92, 70];
  return (
    <div aria-hidden className="hidden rounded-xl border border-slate-200 bg-white p-4 shadow-xl shadow-indigo-100 lg:block">
      <div className="rounded-lg bg-indigo-50 px-3 py-2 text-sm text-indigo-900">{t("home.previewAsk")}</div>
      <pre className="mt-3 rounded-lg bg-slate-50 px-3 py-2 font-mono text-[12px] leading-5 text-slate-700">
        <span className="text-violet-600">import</span> pandas <span className="text-violet-600">as</span> pd{"\n"}
        df = pd.read_csv(<span className="text-emerald-700">&quot;/data/diabetes.csv&quot;</span>){"\n"}
        df.corr(numeric_only=<span className="text-violet-600">True</span>)[<span className="text-emerald-700">&quot;progression&quot;</span>]
      </pre>
      <div className="mt-3 flex h-32 items-end gap-2 rounded-lg border border-slate-100 px-3 pt-3 pb-2">
        {bars.map((h, i) => (
          <div key={i} className="flex-1 rounded-t bg-gradient-to-t from-indigo-500 to-sky-400" style={{ height: `${h}%` }} />
        ))}
      </div>
      <p className="mt-3 text-sm leading-relaxed text-slate-600">{t("home.previewAnswer")}</p>
    </div>
  );
}
