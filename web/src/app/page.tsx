import { AppShell } from "@/components/app-shell";
import { HomePage } from "@/features/home/components/home-page";

export default function Page() {
  return (
    <AppShell>
      <HomePage />
    </AppShell>
  );
}
