import { Suspense } from "react";
import { AppShell } from "@/components/app-shell";
import { AuthForm } from "@/features/auth/components/auth-form";

export default function Page() {
  return (
    <AppShell>
      <div className="px-4 py-16 sm:py-24">
        <Suspense>
          <AuthForm mode="signin" />
        </Suspense>
      </div>
    </AppShell>
  );
}
