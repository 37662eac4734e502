"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { Button, buttonClass } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { useMe, useSignOut } from "@/features/auth/hooks/use-me";
import { useT } from "@/lib/i18n";
import { LanguageSwitch } from "./language-switch";

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const active = usePathname() === href;
  return (
    <Link
      href={href}
      className={cn(
        "shrink-0 rounded-md px-2 py-1.5 text-sm font-medium sm:px-2.5",
        active ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:bg-slate-50 hover:text-slate-900",
      )}
    >
      {children}
    </Link>
  );
}

export function AppShell({ children, wide = false }: { children: ReactNode; wide?: boolean }) {
  const t = useT();
  const me = useMe();
  const signOut = useSignOut();
  const user = me.data;
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="sticky top-0 z-30 border-b border-slate-200 bg-white/90 backdrop-blur">
        <div className={cn("mx-auto flex h-14 items-center gap-1 px-3 sm:gap-2 sm:px-6", wide ? "max-w-[1800px]" : "max-w-6xl")}>
          <Link href="/" className="mr-1 flex shrink-0 items-center gap-2 font-semibold text-slate-900 sm:mr-3">
            <span className="grid size-7 place-items-center rounded-md bg-indigo-600 text-xs font-bold text-white">DL</span>
            <span className="hidden sm:inline">{t("app.name")}</span>
          </Link>
          {user && (
            <nav className="flex min-w-0 items-center gap-0.5 overflow-x-auto sm:gap-1">
              <NavLink href="/workspace">{t("nav.workspace")}</NavLink>
              <NavLink href="/history">{t("nav.history")}</NavLink>
              <NavLink href="/settings">{t("nav.settings")}</NavLink>
            </nav>
          )}
          <div className="ml-auto flex shrink-0 items-center gap-1 sm:gap-2">
            <LanguageSwitch />
            {user ? (
              <>
                <span className="hidden max-w-48 truncate text-sm text-slate-500 md:inline" data-testid="user-email">
                  {user.displayName ?? user.email}
                </span>
                <Button size="sm" variant="ghost" onClick={() => signOut.mutate()} disabled={signOut.isPending} data-testid="sign-out">
                  {t("nav.signOut")}
                </Button>
              </>
            ) : (
              me.isSuccess && (
                <>
                  <Link href="/signin" className="px-2 text-sm font-medium text-slate-600 hover:text-slate-900">
                    {t("nav.signIn")}
                  </Link>
                  <Link href="/signup" className={buttonClass("primary", "sm")}>
                    {t("nav.signUp")}
                  </Link>
                </>
              )
            )}
          </div>
        </div>
      </header>
      <main className="flex-1">{children}</main>
    </div>
  );
}
