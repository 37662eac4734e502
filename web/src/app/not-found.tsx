"use client";
import Link from "next/link";
import { AppShell } from "@/components/app-shell";
import { buttonClass } from "@/components/ui/button";
import { useT } from "@/lib/i18n";

export default function NotFound() {
  const t = useT();
  return (
    <AppShell>
      <div className="mx-auto max-w-xl px-6 py-24 text-center">
        <p className="text-sm font-semibold text-indigo-600">404</p>
        <h1 className="mt-2 text-2xl font-semibold text-slate-900">{t("notFound.title")}</h1>
        <Link href="/" className={buttonClass("secondary", "md", "mt-6")}>{t("notFound.home")}</Link>
      </div>
    </AppShell>
  );
}
